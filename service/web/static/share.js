// Sharing the incident with another county's board, and ending that (dashboard panel).

import { boot, el, api, problemLines } from "./common.js";

const panel = document.getElementById("sharing");
const errors = document.getElementById("share-errors");
const path = (code) => `/api/v1/incidents/${boot.incident.id}/shares/${encodeURIComponent(code)}`;

async function change(method, code) {
  try {
    await api(method, path(code));
    location.reload();
  } catch (error) {
    errors.replaceChildren(...problemLines(error).map((line) => el("p", { text: line })));
    errors.hidden = false;
  }
}

document.getElementById("share-form").addEventListener("submit", (submit) => {
  submit.preventDefault();
  const code = submit.target.elements.organisation.value;
  if (code) change("PUT", code);
});
panel.addEventListener("click", (click) => {
  const button = click.target.closest("button[data-unshare]");
  if (button) change("DELETE", button.dataset.unshare);
});
