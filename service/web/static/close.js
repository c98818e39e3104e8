// Closing an incident: a summary and an explicit confirmation.

import { boot, t, el, api, problemLines } from "./common.js";

const form = document.getElementById("close-form");
form.addEventListener("submit", async (submit) => {
  submit.preventDefault();
  const errors = document.getElementById("form-errors");
  const summary = form.elements.summary.value.trim();
  const problems = [];
  if (!summary) problems.push(t("console.need_summary"));
  if (!form.elements.confirm.checked) problems.push(t("console.need_confirm"));
  if (problems.length) {
    errors.replaceChildren(...problems.map((line) => el("p", { text: line })));
    errors.hidden = false;
    return;
  }
  try {
    await api("POST", `/api/v1/incidents/${boot.incident.id}/close`, { summary });
    location.assign(`/incidents/${boot.incident.id}`);
  } catch (error) {
    errors.replaceChildren(...problemLines(error).map((line) => el("p", { text: line })));
    errors.hidden = false;
  }
});
