// The dashboard's panel of delivered injects (an exercise's): drawn again from
// GET /injects when the stream says one was delivered. The texts are not in the log,
// so they are read from the API, which answers with only what the person may see.

import { el, localTime } from "./common.js";

export async function refreshInjects(incidentId) {
  const panel = document.getElementById("injects-panel");
  if (!panel) return;
  const response = await fetch(`/api/v1/incidents/${incidentId}/injects`, { credentials: "same-origin" });
  if (!response.ok) return;
  const { injects } = await response.json();
  const delivered = injects
    .filter((inject) => inject.state === "delivered")
    .sort((a, b) => b.deliver_at.localeCompare(a.deliver_at) || b.number - a.number);
  if (!delivered.length) return;
  const label = panel.dataset.label, attachment = panel.dataset.attachment;
  const list = el("ol", { class: "journal injects", reversed: "" }, ...delivered.map((inject) =>
    el("li", { id: `delivered-inject-${inject.number}` },
      el("p", { class: "muted small" }, `${label} ${inject.number} · ${localTime(inject.delivered_at)}`),
      el("p", { class: "pre" }, inject.text),
      ...inject.attachments.map((a) => el("details", {},
        el("summary", {}, `${attachment}: ${a.name}`), el("p", { class: "pre" }, a.text))))));
  const current = panel.querySelector("ol.injects, p.injects-none");
  if (current) current.replaceWith(list);
}
