// The national page: the roll-up of every active incident, kept current from the
// `national` topic (snapshot, then merge patches). Rows are drawn as the server draws them.

import { boot, t, localTime, el } from "./common.js";
import { LiveTopic } from "./stream.js";
import { areasOfCounties, paintMap } from "./map.js";

const SECTORS = boot.sectors;
const NAMES = boot.county_names || {};

function level(code) {
  return el("td", { class: `lvl lvl-${code}` }, el("span", { text: t(`impact.${code}`) }));
}

function age(published) {
  const minutes = Math.max(0, Math.floor((Date.now() - Date.parse(published)) / 60000));
  if (Number.isNaN(minutes)) return "";
  return minutes < 120 ? `${minutes} ${t("national.minutes_ago")}` : `${Math.floor(minutes / 60)} ${t("national.hours_ago")}`;
}

function exerciseTag(kind) {
  return kind === "exercise" ? [el("span", { class: "tag exercise-tag", text: t("exercise") }), " "] : [];
}

function countyRow(code, county, kind) {
  const reporting = county.reporting;
  return el("tr", { "data-county": code, ...(kind === "real" ? { id: `real-county-${code}` } : {}) },
    el("th", { scope: "row" }, exerciseTag(kind), NAMES[code] || code),
    el("td", { text: String(county.incidents.length) }),
    level(county.impact),
    el("td", {}, `${reporting.received} ${t("national.of")} ${reporting.expected}`,
      reporting.overdue ? [" ", el("span", { class: "badge badge-overdue", text: `${reporting.overdue} ${t("national.overdue_n")}` })] : []),
    el("td", { text: String(county.open_needs) }),
    el("td", { class: "wrap" }, county.requests.length
      ? el("ul", { class: "plain" }, county.requests.map((r) => el("li", {},
        el("span", { class: `badge urgency-${r.urgency}`, text: t(`urgency.${r.urgency}`) }), ` ${r.text}`)))
      : t("national.no_requests")),
    el("td", { class: "wrap", text: county.summary
      ? `${t("national.number")} ${county.summary.number}, ${localTime(county.summary.published_at)} (${age(county.summary.published_at)})`
      : t("national.no_summary") }),
    SECTORS.map((sector) => level(county.sectors[sector] || "unknown")),
  );
}

function incidentItem(incident, kind) {
  return el("li", {}, exerciseTag(kind), el("strong", { text: incident.title }), " ",
    el("span", { class: "muted", text: `– ${NAMES[incident.county] || incident.county}, ${t(`severity.${incident.severity}`)}, ${t("national.activated")} ${localTime(incident.activated_at)}` }));
}

function drawPart(kind, part) {
  const section = document.querySelector(`[data-part="${kind}"]`);
  const codes = Object.keys(part.counties).sort();
  section.querySelector("tbody").replaceChildren(...codes.map((code) => countyRow(code, part.counties[code], kind)));
  section.querySelector(".table-wrap").hidden = codes.length === 0;
  section.querySelector(".empty-note").hidden = codes.length > 0;
  const incidents = Object.values(part.incidents);
  section.querySelector(".incident-list").replaceChildren(
    ...incidents.map((incident) => incidentItem(incident, kind)));
  section.querySelector(".incidents-block").hidden = incidents.length === 0;
  if (kind === "real") {
    // The map: counties with a real incident by their level (links to their rows); the
    // others are drawn white, as on the dashboard's map, and named in the quiet list.
    paintMap(document.getElementById("counties"), areasOfCounties(part.counties));
  }
  const quiet = section.querySelector(".quiet-list");
  if (quiet) {
    quiet.textContent = Object.keys(NAMES).sort().filter((code) => !(code in part.counties))
      .map((code) => NAMES[code]).join(", ");
  }
}

function drawTotals(totals) {
  const set = (key, text) => { document.querySelector(`[data-total="${key}"]`).textContent = text; };
  set("incidents", String(totals.incidents));
  set("counties", String(totals.counties));
  set("reports", `${totals.received} ${t("national.of")} ${totals.expected}`);
  set("overdue", String(totals.overdue));
  set("open_needs", String(totals.open_needs));
  set("requests", String(totals.requests));
}

const conn = document.getElementById("conn");

new LiveTopic("national", {
  probe: "/api/v1/national",
  onPicture(rollup, patch) {
    // A snapshot (no patch) draws everything; a patch only the parts it changes.
    if (!patch || patch.real) { drawPart("real", rollup.real); drawTotals(rollup.real.totals); }
    if (!patch || patch.exercise) drawPart("exercise", rollup.exercise);
  },
  onState(state, info) {
    conn.dataset.state = state;
    if (state === "live") conn.textContent = t("js.live");
    else if (state === "reconnecting") conn.textContent = `${t("js.reconnecting")} ${localTime(info)}`;
    else if (state === "ended") conn.textContent = t("js.session_ended");
    else conn.textContent = t("js.connecting");
  },
});
