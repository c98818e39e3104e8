// What changed between two pictures of one incident: the one function the dashboard's
// marks and filter are made from. Pure (no DOM, no fetch), so it can be tried alone.
//
// A municipality has changed when its overall impact, the level of any sector or its
// trend differs (a participant added since counts as changed, from "unknown"); a need is
// new when it is open now and was not then, resolved when it was open then and is not
// now (resolved in a report, left out of one, or its municipality no longer takes part).

const UNKNOWN = "unknown";

function level(entry, sector) {
  return entry?.sectors?.[sector] || UNKNOWN;
}

export function changesBetween(before, after, sectors) {
  const then = before?.organisations || {};
  const now = after?.organisations || {};
  const organisations = {};
  for (const [code, entry] of Object.entries(now)) {
    const old = then[code];
    const moved = {};
    const impact = [old?.impact || UNKNOWN, entry.impact || UNKNOWN];
    if (impact[0] !== impact[1]) moved.impact = impact;
    const trend = [old?.trend || UNKNOWN, entry.trend || UNKNOWN];
    if (trend[0] !== trend[1]) moved.trend = trend;
    const names = sectors || [...new Set([...Object.keys(old?.sectors || {}), ...Object.keys(entry.sectors || {})])];
    for (const sector of names) {
      const pair = [level(old, sector), level(entry, sector)];
      if (pair[0] !== pair[1]) (moved.sectors ||= {})[sector] = pair;
    }
    if (!old) moved.added = true;
    if (Object.keys(moved).length) organisations[code] = moved;
  }
  const needsThen = before?.needs || {};
  const needsNow = after?.needs || {};
  const newNeeds = Object.keys(needsNow).filter((key) => !(key in needsThen)).sort();
  const resolvedNeeds = Object.keys(needsThen).filter((key) => !(key in needsNow)).sort()
    .map((key) => ({ key, ...needsThen[key] }));
  return { organisations, newNeeds, resolvedNeeds };
}

// The baseline "since the last deadline" looks back to: the latest deadline at or before
// `moment` (ms), among `deadlines` (ISO times); null when none has passed.
export function lastDeadline(deadlines, moment) {
  let found = null;
  for (const due of deadlines) {
    const at = Date.parse(due);
    if (at <= moment && (found === null || at > Date.parse(found))) found = due;
  }
  return found;
}
