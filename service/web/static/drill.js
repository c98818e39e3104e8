// A drill's result page, live: when a report comes in on the incident's stream, the
// figures and the tables are read again from this page's own address and put in place,
// so the county board watching a drill sees each answer arrive without reloading.

import { LiveTopic } from "./stream.js";

const root = document.getElementById("drill-live");
if (root) {
  const incidentId = root.dataset.incident;
  let pending = null, seen = false;
  const soon = () => { clearTimeout(pending); pending = setTimeout(refresh, 250); };

  const refresh = async () => {
    pending = null;
    const response = await fetch(location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("drill-live");
    if (fresh) root.replaceChildren(...fresh.childNodes);
  };

  new LiveTopic(`incident:${incidentId}`, {
    probe: `/api/v1/incidents/${incidentId}`,
    onPicture: (_picture, _patch, event) => {
      // a burst of reports is one read, a moment after the last; a snapshot after the
      // first (a reconnection that could not resume) may hide answers: read again too
      if (event ? event.kind === "report.submitted" : seen) soon();
      seen = true;
    },
    // "live" once subscribed: from then on every answer shows (tests wait for it)
    onState: (state) => { root.dataset.stream = state; },
  });
}
