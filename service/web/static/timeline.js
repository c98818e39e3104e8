// Impact over time: for each sector, how many municipalities were at each level, as
// stacked areas in inline SVG (no chart library, nothing to download), with a time axis
// in Stockholm time, the reporting deadlines as dashed lines, and the same figures as a
// table for screen readers (one row per moment the sector's counts changed).
//
// A long incident has thousands of such moments, more than the chart has pixels or a
// table has readers: both draw at most one moment per slot of their span (the last in
// the slot, as the counts stood at its end), the chart one per pixel, the table at most
// TABLE_ROWS rows, saying so. The page stays small (it once held 270,000 elements for an
// incident of 10,000 events, and every slider step laid them all out again).

import { t, localTime } from "./common.js";

// stacked from the bottom: the worst first, so it is never hidden under the rest
const LEVELS = ["critical", "serious", "significant", "moderate", "none", "unknown"];
const NS = "http://www.w3.org/2000/svg";
// the dashboard's template reserves each chart's place with the same viewBox
const W = 320, H = 150;
const LEFT = 24, RIGHT = 6, TOP = 8, BOTTOM = 26;
const MINUTE = 60000;
const TABLE_ROWS = 48;
const STEPS = [15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map((m) => m * MINUTE);

const clockParts = new Intl.DateTimeFormat("sv-SE", {
  timeZone: "Europe/Stockholm", hourCycle: "h23", hour: "2-digit", minute: "2-digit",
});
const dayFormat = new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Stockholm", day: "numeric", month: "short" });

function svg(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function html(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

// Minutes since Stockholm's midnight at the instant `ms`.
function localMinutes(ms) {
  const [hour, minute] = clockParts.format(new Date(ms)).split(":").map(Number);
  return hour * 60 + minute;
}

// Ticks at round Stockholm times between start and end (ms), at most about five:
// [{at, label}], the label "14:00", or the date ("23 nov.") at midnight.
export function timeTicks(start, end) {
  const span = Math.max(end - start, MINUTE);
  const step = STEPS.find((s) => span / s <= 5) || STEPS[STEPS.length - 1];
  const ticks = [];
  const every = Math.min(step, 60 * MINUTE);
  for (let at = Math.ceil(start / (15 * MINUTE)) * 15 * MINUTE; at <= end; at += 15 * MINUTE) {
    const minutes = localMinutes(at);
    if (step < 1440 * MINUTE ? minutes % (step / MINUTE) === 0 : minutes === 0) {
      if (step >= 1440 * MINUTE && ticks.length && at - ticks[ticks.length - 1].at < step - every) continue;
      ticks.push({ at, label: minutes === 0 ? dayFormat.format(new Date(at)) : clockParts.format(new Date(at)) });
    }
  }
  return ticks;
}

// At most one of `points` (in time order) per slot of `slots` equal slots of start → end
// (ms): the last of each slot; the first point is always kept (where the chart begins).
export function thin(points, start, end, slots) {
  if (points.length <= slots) return points;
  const span = Math.max(end - start, 1);
  const kept = [points[0]];
  let slot = -1;
  for (let i = 1; i < points.length; i++) {
    const here = Math.min(slots - 1, Math.floor(((Date.parse(points[i].at) - start) / span) * slots));
    if (here === slot) kept[kept.length - 1] = points[i];
    else { kept.push(points[i]); slot = here; }
  }
  return kept;
}

// points: [{at, sectors}] in time order; deadlines: ISO times to mark.
export function drawTimeline(container, all, sectors, deadlines = []) {
  if (!all.length) return;
  const start = Date.parse(all[0].at);
  const end = Math.max(Date.now(), Date.parse(all[all.length - 1].at) + 1);
  const points = thin(all, start, end, W - LEFT - RIGHT);
  const x = (ms) => LEFT + ((ms - start) / Math.max(end - start, 1)) * (W - LEFT - RIGHT);
  const ticks = timeTicks(start, end);
  const marks = deadlines.map(Date.parse).filter((ms) => ms >= start && ms <= end);
  const bottomY = H - BOTTOM;
  const figures = sectors.map((sector) => {
    const totals = points.map((point) => LEVELS.reduce((sum, level) => sum + (point.sectors[sector]?.[level] || 0), 0));
    const max = Math.max(1, ...totals);
    const y = (count) => bottomY - (count / max) * (bottomY - TOP);
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", focusable: "false" });
    const last = points[points.length - 1].sectors[sector] || {};
    const description = LEVELS
      .filter((level) => last[level]).map((level) => `${t(`impact.${level}`)} ${last[level]}`).join(", ");
    chart.setAttribute("aria-label", `${t(`sector.${sector}`)}: ${description} (${localTime(points[points.length - 1].at)})`);
    let below = points.map(() => 0);
    for (const level of LEVELS) {
      const above = points.map((point, i) => below[i] + (point.sectors[sector]?.[level] || 0));
      if (above.every((value, i) => value === below[i])) { below = above; continue; }
      // a step chart: a count holds until the next change
      const top = [], bottom = [];
      points.forEach((point, i) => {
        const x0 = x(Date.parse(point.at)), x1 = i + 1 < points.length ? x(Date.parse(points[i + 1].at)) : W - RIGHT;
        top.push(`${x0},${y(above[i])}`, `${x1},${y(above[i])}`);
        bottom.unshift(`${x1},${y(below[i])}`, `${x0},${y(below[i])}`);
      });
      chart.append(svg("polygon", { points: [...top, ...bottom].join(" "), class: `area area-${level}` }));
      below = above;
    }
    for (const ms of marks) {
      chart.append(svg("line", { x1: x(ms), x2: x(ms), y1: TOP, y2: bottomY, class: "deadline" }));
    }
    chart.append(
      svg("line", { x1: LEFT, x2: W - RIGHT, y1: bottomY, y2: bottomY, class: "axis" }),
      svg("line", { x1: LEFT, x2: LEFT, y1: TOP, y2: bottomY, class: "axis" }),
      svg("text", { x: LEFT - 4, y: TOP + 8, class: "axis-label end" }, String(max)),
      svg("text", { x: LEFT - 4, y: bottomY, class: "axis-label end" }, "0"),
    );
    for (const tick of ticks) {
      chart.append(
        svg("line", { x1: x(tick.at), x2: x(tick.at), y1: bottomY, y2: bottomY + 4, class: "axis" }),
        svg("text", { x: x(tick.at), y: H - 8, class: "axis-label time middle" }, tick.label),
      );
    }
    if (ticks.length < 2) { // a short span: its start and end, so that the axis says when
      chart.append(
        svg("text", { x: LEFT, y: H - 8, class: "axis-label time start" }, clockParts.format(new Date(start))),
        svg("text", { x: W - RIGHT, y: H - 8, class: "axis-label time end" }, clockParts.format(new Date(end))),
      );
    }
    const figure = document.createElement("figure");
    const caption = document.createElement("figcaption");
    caption.textContent = t(`sector.${sector}`);
    figure.append(caption, chart, table(sector, all, start, end)); // the table thins on its own
    return figure;
  });
  container.replaceChildren(...figures);
}

// The figures of one sector as a table, a row each time its counts changed (at most
// TABLE_ROWS: then as they stood at the end of each of as many equal periods).
function table(sector, points, start, end) {
  const head = html("tr", {}, html("th", { scope: "col" }, t("js.at_time")),
    ...LEVELS.map((level) => html("th", { scope: "col" }, t(`impact.${level}`))));
  const counts = (point) => LEVELS.map((level) => point.sectors[sector]?.[level] || 0);
  const changes = points.filter((point, i) => i === 0 || counts(point).join() !== counts(points[i - 1]).join());
  const shown = thin(changes, start, end, TABLE_ROWS);
  const rows = shown.map((point) => html("tr", {}, html("th", { scope: "row" }, localTime(point.at)),
    ...counts(point).map((count) => html("td", {}, String(count)))));
  let title = t("js.chart_table").replace("{sector}", t(`sector.${sector}`));
  if (shown.length < changes.length) {
    title += ` ${t("js.chart_table_thinned").replace("{minutes}", Math.max(1, Math.round((end - start) / TABLE_ROWS / MINUTE)))}`;
  }
  // (a table ignores a width of 1px: the box around it hides it)
  return html("div", { class: "visually-hidden" }, html("table", { class: "chart-table" },
    html("caption", {}, title), html("thead", {}, head), html("tbody", {}, ...rows)));
}
