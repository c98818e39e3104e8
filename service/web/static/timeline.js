// Impact over time: for each sector, how many municipalities were at each level,
// as stacked areas in inline SVG (no chart library, nothing to download).

import { t, localTime } from "./common.js";

// stacked from the bottom: the worst first, so it is never hidden under the rest
const LEVELS = ["critical", "serious", "significant", "moderate", "none", "unknown"];
const NS = "http://www.w3.org/2000/svg";
const W = 320, H = 120, PAD = 2;

function svg(tag, attrs) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

export function drawTimeline(container, points, sectors) {
  if (!points.length) return;
  const start = Date.parse(points[0].at);
  const end = Math.max(Date.now(), Date.parse(points[points.length - 1].at) + 1);
  const x = (at) => PAD + ((Date.parse(at) - start) / Math.max(end - start, 1)) * (W - 2 * PAD);
  const figures = sectors.map((sector) => {
    const totals = points.map((point) => LEVELS.reduce((sum, level) => sum + (point.sectors[sector]?.[level] || 0), 0));
    const max = Math.max(1, ...totals);
    const y = (count) => H - PAD - (count / max) * (H - 2 * PAD);
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
        const x0 = x(point.at), x1 = i + 1 < points.length ? x(points[i + 1].at) : W - PAD;
        top.push(`${x0},${y(above[i])}`, `${x1},${y(above[i])}`);
        bottom.unshift(`${x1},${y(below[i])}`, `${x0},${y(below[i])}`);
      });
      chart.append(svg("polygon", { points: [...top, ...bottom].join(" "), class: `area area-${level}` }));
      below = above;
    }
    const figure = document.createElement("figure");
    const caption = document.createElement("figcaption");
    caption.textContent = t(`sector.${sector}`);
    figure.append(caption, chart);
    return figure;
  });
  container.replaceChildren(...figures);
}
