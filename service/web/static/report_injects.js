// The report page's panel of delivered injects (an exercise's), live as on the dashboard:
// when the incident's stream says an inject was delivered, the panel is read again
// (GET /injects answers with only what this organisation may see). An invitation
// link's page, which has no session to follow the stream with, shows them as loaded.

import { LiveTopic } from "./stream.js";
import { refreshInjects } from "./injects_panel.js";

const incidentId = document.getElementById("injects-live")?.dataset.incident;
const panel = document.getElementById("injects-panel");
if (incidentId && panel) {
  new LiveTopic(`incident:${incidentId}`, {
    probe: `/api/v1/incidents/${incidentId}`,
    onPicture: (_picture, _patch, event) => {
      if (event?.kind === "inject.delivered") refreshInjects(incidentId);
    },
    // "live" once subscribed: from then on every delivery shows (tests wait for it)
    onState: (state) => { panel.dataset.stream = state; },
  });
}
