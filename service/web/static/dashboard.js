// The county board's live dashboard: one picture, kept current from the stream.

import { boot, t, localTime, el, keyedChildren } from "./common.js";
import { LiveTopic } from "./stream.js";
import { drawTimeline } from "./timeline.js";
import { updateMap } from "./map.js";
import { TimeControl } from "./moment.js";
import { changesBetween, lastDeadline } from "./changes.js";
import { renderJournal } from "./journal_panel.js";
import { refreshInjects } from "./injects_panel.js";

const SECTORS = boot.sectors;
const LEVELS = ["critical", "serious", "significant", "moderate", "none", "unknown"];
const RANK = Object.fromEntries(LEVELS.map((level, i) => [level, LEVELS.length - i]));
RANK.unknown = 0;
const ARROWS = { improving: "↘", stable: "→", worsening: "↗", unknown: "?" };
const incidentId = boot.incident.id;
// Swedish order (å, ä, ö last); one collator, not one made for each comparison.
const bySwedish = new Intl.Collator("sv").compare;

const tbody = document.querySelector("#matrix tbody");
const rows = new Map();
let picture = null; // the picture on screen: the live one, or a past one
let live = null;    // the live picture, kept current from the stream in either case
let sort = { key: "impact", direction: -1 };
let history = [];
let snapshots = 0;

function receivedFor(entry, due) {
  if (!entry.report_id) return false;
  if (!due) return true;
  return Boolean(entry.due_at) && new Date(entry.due_at) >= new Date(due);
}

function cell(level, label) {
  return el("td", { class: `lvl lvl-${level}` }, el("span", { text: label ?? t(`impact.${level}`) }));
}

function buildRow(code, entry) {
  const due = picture.reporting?.due_at;
  const late = entry.received_at && entry.due_at && new Date(entry.received_at) > new Date(entry.due_at);
  const overdue = entry.overdue || (picture.reporting?.overdue || []).includes(code);
  const marks = [];
  if (overdue) marks.push(el("span", { class: "badge badge-overdue", text: t("js.overdue") }));
  if (late) marks.push(el("span", { class: "badge badge-late", text: t("js.late") }));
  if (!receivedFor(entry, due) && entry.report_id && !overdue) marks.push(el("span", { class: "badge", text: t("js.missing") }));
  const name = entry.name || code;
  const note = changeNotes.get(code);
  const row = el("tr", { "data-code": code, class: note ? "changed" : null, hidden: onlyChanged && !note },
    el("th", { scope: "row" },
      el("a", { href: `/incidents/${incidentId}/organisations/${code}`, "aria-label": `${t("js.history")} ${name}` }, name),
      note ? [" ", el("span", { class: "badge badge-changed", text: t("js.changed") }), el("span", { class: "change-note", text: note })] : null),
    cell(entry.impact || "unknown"),
    SECTORS.map((sector) => cell(entry.sectors?.[sector] || "unknown")),
    el("td", { class: `trend trend-${entry.trend || "unknown"}` },
      el("span", { "aria-hidden": "true", text: `${ARROWS[entry.trend] || "?"} ` }), t(`trend.${entry.trend || "unknown"}`)),
    el("td", { text: entry.management ? t(`management.${entry.management}`) : "–" }),
    el("td", { class: "last" }, entry.received_at ? `${localTime(entry.received_at)} (v${entry.version})` : t("js.never"), " ", marks),
  );
  row.sortValues = {
    name: name.toLocaleLowerCase("sv"),
    impact: RANK[entry.impact || "unknown"],
    last: entry.received_at ? Date.parse(entry.received_at) : 0,
  };
  return row;
}

function compare(a, b) {
  const x = a.sortValues[sort.key], y = b.sortValues[sort.key];
  if (x !== y) return (typeof x === "string" ? bySwedish(x, y) : x - y) * sort.direction;
  return bySwedish(a.sortValues.name, b.sortValues.name);
}

// Rebuild the rows of `codes` and put each where the sort order wants it. Only rows
// that changed move: with 290 municipalities, re-inserting every row would make the
// browser restyle and lay out the whole table for each report.
function place(row) {
  const current = tbody.children;
  let low = 0, high = current.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (compare(current[middle], row) <= 0) low = middle + 1; else high = middle;
  }
  tbody.insertBefore(row, current[low] || null);
}

// Make the row on screen show `fresh` (built by buildRow), replacing only the cells
// that differ: a slider step or a report changes a few cells of a row, and a cell left
// alone is neither styled nor laid out again.
function patchRow(row, fresh) {
  const cells = [...row.children], wanted = [...fresh.children];
  if (cells.length !== wanted.length) return false;
  cells.forEach((cell, i) => { if (!cell.isEqualNode(wanted[i])) row.replaceChild(wanted[i], cell); });
  if (row.className !== fresh.className) row.className = fresh.className;
  if (row.hidden !== fresh.hidden) row.hidden = fresh.hidden;
  row.sortValues = fresh.sortValues;
  return true;
}

// Whether `row` stands where the sort order wants it among its neighbours.
function inOrder(row) {
  const before = row.previousElementSibling, after = row.nextElementSibling;
  return (!before || compare(before, row) <= 0) && (!after || compare(row, after) <= 0);
}

function renderRows(codes, { resort = false } = {}) {
  const organisations = picture.organisations || {};
  for (const code of codes) {
    const old = rows.get(code);
    const entry = organisations[code];
    if (!entry) { old?.remove(); rows.delete(code); continue; }
    const fresh = buildRow(code, entry);
    if (old && old.parentNode === tbody && patchRow(old, fresh)) {
      if (!resort && !inOrder(old)) { old.remove(); place(old); }
      continue;
    }
    old?.remove();
    rows.set(code, fresh);
    if (!resort) place(fresh);
  }
  if (resort) {
    const fragment = document.createDocumentFragment();
    fragment.append(...[...rows.values()].sort(compare));
    tbody.append(fragment);
  }
  for (const th of document.querySelectorAll("#matrix thead th")) {
    const button = th.querySelector("button[data-sort]");
    if (!button) continue;
    if (button.dataset.sort === sort.key) th.setAttribute("aria-sort", sort.direction > 0 ? "ascending" : "descending");
    else th.removeAttribute("aria-sort");
  }
}

function renderSummary() {
  const reporting = picture.reporting || {};
  document.getElementById("due").textContent = reporting.due_at ? localTime(reporting.due_at) : t("js.none");
  document.getElementById("received").textContent = `${reporting.received ?? 0} ${t("js.of")} ${reporting.expected ?? 0}`;
  document.getElementById("status").textContent = t(`status.${picture.incident?.status || "active"}`);
  const organisations = picture.organisations || {};
  const missing = Object.entries(organisations)
    .filter(([, entry]) => !receivedFor(entry, reporting.due_at))
    .sort((a, b) => bySwedish(a[1].name || a[0], b[1].name || b[0]));
  const list = document.getElementById("missing");
  const overdueNow = new Set(reporting.overdue || []);
  const entries = missing.map(([code, entry]) => {
    const overdue = Boolean(entry.overdue) || overdueNow.has(code);
    return [code, `${overdue}:${entry.name}`, () => el("li", { class: overdue ? "chip chip-overdue" : "chip" },
      el("a", { href: `/incidents/${incidentId}/organisations/${code}` }, entry.name || code),
      overdue ? el("span", { class: "badge badge-overdue", text: t("js.overdue") }) : null)];
  });
  // Rebuild the list only when who is on it (or how) has changed (kept on the node, not
  // as an attribute: writing a long attribute is work for the browser too).
  const signature = listSignature(entries);
  if (list.drawn === signature) return renderNeeds(organisations);
  list.drawn = signature;
  keyedChildren(list, entries);
  if (!missing.length) list.replaceChildren(el("li", { class: "muted", text: t("js.all_reported") }));
  document.getElementById("missing-count").textContent = `(${missing.length})`;
  renderNeeds(organisations);
}

// What a list drawn with keyedChildren shows, as one string: its keys and signatures.
function listSignature(entries) {
  return JSON.stringify(entries.map(([key, signature]) => [key, signature]));
}

function renderNeeds(organisations) {
  const urgency = { critical: 4, high: 3, medium: 2, low: 1 };
  const needs = Object.entries(picture.needs || {}).sort((a, b) =>
    (urgency[b[1].urgency] || 0) - (urgency[a[1].urgency] || 0) || Date.parse(b[1].since) - Date.parse(a[1].since));
  const needList = document.getElementById("needs");
  const fresh = new Set(changes?.newNeeds || []);
  const entries = needs.map(([key, need]) => {
    const by = organisations[need.organisation]?.name || need.organisation;
    return [key, JSON.stringify([need.urgency, need.text, need.since, by, fresh.has(key)]),
      () => el("li", { class: `need need-${need.urgency}`, "data-key": key },
        el("span", { class: `badge urgency-${need.urgency}`, text: t(`urgency.${need.urgency}`) }), " ",
        fresh.has(key) ? [el("span", { class: "badge badge-changed", text: t("js.changes.new_need") }), " "] : null,
        el("strong", { text: need.text }), " ",
        el("span", { class: "muted", text: `${by}, ${t("js.since")} ${localTime(need.since)}` }))];
  });
  // Rebuild the list only when what it shows has changed (a slider step often does not).
  const signature = listSignature(entries);
  if (needList.drawn === signature) return;
  needList.drawn = signature;
  keyedChildren(needList, entries);
  if (!needs.length) needList.replaceChildren(el("li", { class: "muted", text: t("js.no_needs") }));
  document.getElementById("needs-count").textContent = `(${needs.length})`;
}

// --- the matrix off screen is drawn after what is in view -------------------------------
//
// A moment on the time control changes most of the matrix's cells, and Chromium's style,
// layout and paint of them is most of a step. When the matrix is out of view (on a wall
// screen it starts below the map, the counts and the needs), a whole new picture is drawn
// in the panels in view first and in the matrix when the browser is next idle; the
// table says aria-busy meanwhile, and scrolling it into view draws it at once. Frames of
// the live stream (a few rows each) are drawn as before.

const matrix = document.getElementById("matrix");
let matrixPicture = null; // the picture the matrix's rows show
let matrixInView = true;  // until the observer has said otherwise
let matrixLater = null;   // the idle callback that will draw it
// Safari has no idle callbacks: there, the next task after this frame.
const whenIdle = window.requestIdleCallback?.bind(window) ?? ((run) => setTimeout(run, 16));
const notIdle = window.cancelIdleCallback?.bind(window) ?? clearTimeout;

function drawMatrix(patch) {
  const before = matrixPicture;
  matrixPicture = picture;
  if (matrixLater !== null) { notIdle(matrixLater); matrixLater = null; }
  matrix.removeAttribute("aria-busy");
  const differ = patch && before ? null : rowsThatDiffer(before, picture);
  if (differ) {
    renderRows(differ); // another whole picture (a past one, or live again): its changes only
  } else if (!patch || !before) {
    rows.clear();
    tbody.replaceChildren();
    renderRows(Object.keys(picture.organisations || {}), { resort: true });
  } else {
    const changed = new Set(Object.keys(patch.organisations || {}));
    // Rows show the deadline's marks: rebuild all only when the deadline or overdue changed.
    if (patch.reporting && ("due_at" in patch.reporting || "overdue" in patch.reporting)) {
      Object.keys(picture.organisations || {}).forEach((code) => changed.add(code));
    }
    renderRows(changed);
  }
  matrix.dataset.seq = String(picture.seq);
}

function drawMatrixLater() {
  matrix.setAttribute("aria-busy", "true");
  if (matrixLater === null) matrixLater = whenIdle(() => { matrixLater = null; drawMatrix(null); }, { timeout: 500 });
}

new IntersectionObserver((seen) => {
  matrixInView = seen[seen.length - 1].isIntersecting;
  if (matrixInView && matrixLater !== null) drawMatrix(null);
}).observe(matrix);

// Draw `next` (live or past): the rows `patch` touched, or all of them without one.
function draw(next, patch) {
  const behind = matrixPicture !== picture; // the matrix still shows an earlier picture
  picture = next;
  // Out of view, a whole picture (or one the matrix is behind) waits; a live frame does not.
  if (!matrixInView && matrixPicture !== null && (!patch || behind)) drawMatrixLater();
  else drawMatrix(behind ? null : patch);
  // What changed first: the needs list (drawn with the counts) marks the new ones.
  refreshChanges();
  renderSummary();
  renderJournal(picture);
  updateMap(document.getElementById("map"), picture);
}

function same(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => key in b && same(a[key], b[key]));
}

// The rows that differ between two whole pictures; null when every row must be drawn
// again (none drawn yet, or the deadline or overdue list, which every row shows, moved).
function rowsThatDiffer(before, after) {
  if (!before) return null;
  if (before.reporting?.due_at !== after.reporting?.due_at || !same(before.reporting?.overdue, after.reporting?.overdue)) return null;
  const then = before.organisations || {}, now = after.organisations || {};
  return [...new Set([...Object.keys(then), ...Object.keys(now)])].filter((code) => !same(then[code], now[code]));
}

function onPicture(next, patch, event) {
  live = next;
  if (!patch && snapshots++ > 0) loadTimeline(); // after a gap: the points missed in between
  // Viewing the past: the live picture is kept current, but the view does not jump.
  if (!moment.past) draw(next, patch);
  if (event && (event.kind === "round.closed" || (event.kind === "report.submitted" && event.data?.report?.late))) roundsSoon();
  if (event && event.kind === "inject.delivered") refreshInjects(incidentId);
  if (event && patch?.sectors) {
    history.push({ seq: next.seq, at: event.at, sectors: next.sectors });
    drawCharts();
  }
  if (next.incident?.status === "closed") {
    document.body.classList.add("is-closed");
    moment.endAt(next.incident.closed_at);
  }
}

// --- what changed since the last deadline, or the last published summary -----------------

const changesForm = document.getElementById("changes");
let changes = null;            // changesBetween(baseline, picture), or null without a baseline
let changeNotes = new Map();   // code → what changed, as a short text
let onlyChanged = false;
let baselineKey = null;
let baseline = null;
const baselines = new Map();   // key → Promise of a picture (or null when it could not be read)
let deadlines = [];

function wantedBaseline() {
  const since = changesForm.querySelector("input[name=since]:checked")?.value || "deadline";
  if (since === "summary") {
    const summary = picture.summary;
    if (!summary) return { none: t("js.changes.no_summary") };
    return { key: `seq:${summary.picture_seq}`, query: `seq=${summary.picture_seq}`,
      when: `${t("js.changes.summary_n").replace("{n}", summary.number)} ${localTime(summary.published_at)}` };
  }
  const due = lastDeadline(deadlines, moment.moment);
  if (!due) return { none: t("js.changes.no_deadline") };
  return { key: `at:${due}`, query: `at=${encodeURIComponent(due)}`, when: localTime(due) };
}

function fetchBaseline(wanted) {
  if (!baselines.has(wanted.key)) {
    baselines.set(wanted.key, fetch(`/api/v1/incidents/${incidentId}/picture?${wanted.query}`,
      { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .catch(() => null)
      .then((found) => { if (!found) baselines.delete(wanted.key); return found; }));
  }
  return baselines.get(wanted.key);
}

function refreshChanges() {
  if (!picture) return;
  const wanted = wantedBaseline();
  if (wanted.none) { baselineKey = null; baseline = null; showChanges(null, wanted.none); return; }
  if (wanted.key !== baselineKey) {
    baselineKey = wanted.key;
    baseline = null;
    fetchBaseline(wanted).then((found) => {
      if (baselineKey !== wanted.key) return;
      baseline = found;
      if (found) refreshChanges();
    });
  }
  if (baseline) showChanges(changesBetween(baseline, picture, SECTORS), wanted.when);
}

function noteOf(moved) {
  const parts = [];
  const level = (pair) => pair.map((l) => t(`impact.${l}`)).join(" → ");
  if (moved.added) parts.push(t("js.changes.added"));
  if (moved.impact) parts.push(level(moved.impact));
  else if (moved.sectors) parts.push(Object.keys(moved.sectors).map((sector) => `${t(`sector.${sector}`)}: ${level(moved.sectors[sector])}`).join(", "));
  if (moved.trend) parts.push(`${t("js.trend")}: ${moved.trend.map((x) => t(`trend.${x}`)).join(" → ")}`);
  return parts.join("; ");
}

function showChanges(found, when) {
  changes = found;
  const notes = new Map(Object.entries(found?.organisations || {}).map(([code, moved]) => [code, noteOf(moved)]));
  const redraw = [...new Set([...notes.keys(), ...changeNotes.keys()])].filter((code) => notes.get(code) !== changeNotes.get(code));
  changeNotes = notes;
  if (redraw.length) renderRows(redraw);
  renderNeeds(picture.organisations || {});
  const summary = document.getElementById("changes-summary");
  const resolved = document.getElementById("changes-resolved");
  if (!found) {
    summary.textContent = when;
    resolved.replaceChildren();
    return;
  }
  summary.textContent = t("js.changes.counts")
    .replace("{orgs}", notes.size).replace("{new}", found.newNeeds.length)
    .replace("{resolved}", found.resolvedNeeds.length).replace("{when}", when);
  const organisations = picture.organisations || {};
  resolved.replaceChildren(...found.resolvedNeeds.map((need) => el("li", {},
    el("span", { class: "badge", text: t("need.resolved") }), " ", el("strong", { text: need.text || need.key }), " ",
    el("span", { class: "muted", text: organisations[need.organisation]?.name || need.organisation }))));
}

changesForm.addEventListener("change", (change) => {
  if (change.target.name === "only") {
    onlyChanged = change.target.checked;
    renderRows(Object.keys(picture?.organisations || {}), { resort: true });
  } else refreshChanges();
});

const moment = new TimeControl(document.getElementById("moment"), {
  incident: boot.incident,
  onShow: (past) => draw(past || live, null),
  lookBack: (at, signal) => stream.lookBack(at, signal),
});

function onState(state, info) {
  const node = document.getElementById("conn");
  // A live region: say a state once, not again with every report.
  const changed = node.dataset.state !== state;
  node.dataset.state = state;
  document.body.classList.toggle("is-stale", state === "reconnecting" || state === "ended");
  if (state === "live") { if (changed) node.textContent = t("js.live"); }
  else if (state === "connecting") node.textContent = t("js.connecting");
  else if (state === "reconnecting") node.textContent = `${t("js.reconnecting")} ${info ? localTime(info) : ""}`;
  else if (state === "ended") node.textContent = info === "session" ? t("js.session_ended") : String(info);
  document.getElementById("updated").textContent = state === "live" ? localTime(info) : document.getElementById("updated").textContent;
}

document.querySelector("#matrix thead").addEventListener("click", (click) => {
  const button = click.target.closest("button[data-sort]");
  if (!button) return;
  const key = button.dataset.sort;
  sort = { key, direction: sort.key === key ? -sort.direction : (key === "name" ? 1 : -1) };
  renderRows([], { resort: true });
});

// The charts end at "now", so they are drawn again as time passes: when the next deadline
// comes into their span, and at least each minute so the right edge moves on a wall screen.
let chartsTimer = null;
function drawCharts() {
  const due = live?.reporting?.due_at;
  const marks = due ? [...deadlines, due] : deadlines;
  drawTimeline(document.getElementById("timeline"), history, SECTORS, marks);
  clearTimeout(chartsTimer);
  if (!history.length) return;
  const now = Date.now();
  const coming = marks.map(Date.parse).filter((at) => at > now);
  const next = Math.min(now + 60_000, ...coming);
  chartsTimer = setTimeout(drawCharts, next - now + 50);
}

async function loadTimeline() {
  try {
    const response = await fetch(`/api/v1/incidents/${incidentId}/timeline`, { credentials: "same-origin" });
    if (!response.ok) return;
    const data = await response.json();
    const known = new Set(history.map((point) => point.seq));
    history = [...data.points.filter((point) => !known.has(point.seq)), ...history].sort((a, b) => a.seq - b.seq);
    drawCharts();
  } catch { /* drawn from the stream alone */ }
}

let roundsTimer = null;
async function loadRounds() {
  try {
    const response = await fetch(`/api/v1/incidents/${incidentId}/rounds`, { credentials: "same-origin" });
    if (!response.ok) return;
    const { rounds } = await response.json();
    deadlines = rounds.map((round) => round.due_at);
    moment.setDeadlines(deadlines);
    refreshChanges();
    if (history.length) drawCharts();
    const list = document.getElementById("rounds");
    if (!rounds.length) return;
    list.replaceChildren(...rounds.slice().reverse().map((round) => el("li", {},
      el("a", { href: `/incidents/${incidentId}/rounds/${round.n}` }, `${t("rounds.round")} ${round.n}: ${localTime(round.due_at)}`),
      " – ", `${round.on_time} ${t("rounds.on_time")}, ${round.late} ${t("rounds.late")}, `,
      el("span", { class: round.overdue ? "badge badge-overdue" : "" , text: `${round.overdue} ${t("rounds.overdue")}` }))));
  } catch { /* the list is a convenience; the live picture does not depend on it */ }
}

function roundsSoon() {
  clearTimeout(roundsTimer);
  roundsTimer = setTimeout(loadRounds, 1000);
}

const stream = new LiveTopic(`incident:${incidentId}`, { onPicture, onState, probe: `/api/v1/incidents/${incidentId}` });
loadTimeline();
loadRounds();
