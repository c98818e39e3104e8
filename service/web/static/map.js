// Paints an area map drawn by the server (templates/map.html): each area's level as a
// class (colour, and the stripe pattern for critical, as in the matrix), a digit on the
// map (0 none … 4 critical, ? unknown; the legend says which is which), and its
// accessible name: "Vårgårda: Allvarlig påverkan, senaste rapport 2026-11-22 14:00".
// Colour is never the only signal. Areas are links (Enter and a click open their page);
// a focused or hovered area gets a ring drawn above its neighbours.
//
//   paintMap(svg, areas)   areas: {code: {impact, at, overdue, note}}; an area not in it
//                          does not take part (faded, no link, hidden from screen readers).
//   areasOfCounties(counties) the national roll-up's counties, for paintMap on the
//                          counties map (maps.counties_map(), macro area_map).
//   updateMap(svg, picture) an incident's picture (live, or as it stood at a moment):
//                          its organisations onto the county map. The dashboard calls
//                          it with every picture from the stream; a time control may
//                          call it with a past picture in the same way.
//
// Both only change attributes and texts: the map keeps its size, nothing moves.

import { t, localTime } from "./common.js";

export const DIGITS = { none: "0", moderate: "1", significant: "2", serious: "3", critical: "4", unknown: "?" };
const LEVEL_CLASSES = Object.keys(DIGITS).map((level) => `lvl-${level}`);

// The accessible name of one area that takes part: its level, then its `note` if it has
// one (a county's coverage), else its last report (and whether it is overdue).
export function areaName(name, { impact = "unknown", at = null, overdue = false, note = null } = {}) {
  const level = `${t(`impact.${impact}`)} ${t("js.map_impact")}`;
  if (note) return `${name}: ${level}, ${note}`;
  const last = at ? `${t("js.map_last_report")} ${localTime(at)}` : t("js.map_never");
  return `${name}: ${level}, ${last}${overdue ? `, ${t("js.map_overdue")}` : ""}`;
}

export function paintMap(svg, areas) {
  if (!svg) return;
  const href = svg.dataset.href;
  const marks = new Map([...svg.querySelectorAll(".marks text")].map((node) => [node.dataset.code, node]));
  for (const node of svg.querySelectorAll(".areas .area")) {
    const code = node.dataset.code;
    const area = areas[code];
    const mark = marks.get(code);
    if (!area) {
      node.classList.remove(...LEVEL_CLASSES);
      node.classList.add("out");
      node.removeAttribute("href");
      node.removeAttribute("tabindex");
      node.removeAttribute("role");
      node.removeAttribute("aria-label");
      node.setAttribute("aria-hidden", "true");
      if (mark) { mark.textContent = ""; delete mark.dataset.level; }
      continue;
    }
    const impact = DIGITS[area.impact] ? area.impact : "unknown";
    if (!node.classList.contains(`lvl-${impact}`) || node.classList.contains("out")) {
      node.classList.remove("out", ...LEVEL_CLASSES);
      node.classList.add(`lvl-${impact}`);
    }
    node.classList.toggle("is-overdue", Boolean(area.overdue));
    // attributes are written only when they change: a frame touches what it changed
    if (href) set(node, "href", href.replace("{code}", code));
    else { set(node, "tabindex", "0"); set(node, "role", "img"); }
    node.removeAttribute("aria-hidden");
    set(node, "aria-label", areaName(node.dataset.name || code, area));
    if (mark && mark.dataset.level !== impact) {
      mark.textContent = DIGITS[impact];
      mark.dataset.level = impact;
    }
  }
  watchFocus(svg);
}

function set(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

// The municipalities of an incident's picture, as paintMap wants them.
export function areasOf(picture) {
  const overdue = new Set(picture?.reporting?.overdue || []);
  return Object.fromEntries(Object.entries(picture?.organisations || {}).map(([code, entry]) => [code, {
    impact: entry.impact || "unknown",
    at: entry.received_at || null,
    overdue: Boolean(entry.overdue) || overdue.has(code),
  }]));
}

// The counties of the national roll-up (`counties` of one part of GET /api/v1/national
// or of the `national` topic: {code: {impact, reporting: {expected, received, overdue}}})
// as paintMap wants them; a county with no incident is not in it, and is drawn faded.
export function areasOfCounties(counties) {
  return Object.fromEntries(Object.entries(counties || {}).map(([code, county]) => {
    const reporting = county.reporting || {};
    const note = t("js.map_coverage")
      .replace("{received}", reporting.received ?? 0).replace("{expected}", reporting.expected ?? 0)
      .replace("{overdue}", reporting.overdue ?? 0);
    return [code, { impact: county.impact || "unknown", overdue: (reporting.overdue || 0) > 0, note }];
  }));
}

export function updateMap(svg, picture) {
  paintMap(svg, areasOf(picture));
}

// The ring above the focused (or hovered) area: a <use> of its shape, last in the SVG.
function watchFocus(svg) {
  if (svg.dataset.watched) return;
  svg.dataset.watched = "1";
  const ring = svg.querySelector(".focus-ring");
  const show = (event) => {
    const area = event.target.closest?.(".area:not(.out)");
    if (area) ring.setAttribute("href", `#${area.querySelector("path").id}`);
  };
  const hide = () => ring.setAttribute("href", svg.contains(document.activeElement) && document.activeElement.matches(".area")
    ? `#${document.activeElement.querySelector("path").id}` : "");
  svg.addEventListener("focusin", show);
  svg.addEventListener("focusout", () => ring.setAttribute("href", ""));
  svg.addEventListener("pointerover", show);
  svg.addEventListener("pointerleave", hide);
}
