// Adding an entry to the incident journal; the page shows it once stored.

import { boot, t, el, api, problemLines, stockholmInstant } from "./common.js";

const form = document.getElementById("journal-form");
const decidedBy = document.getElementById("decided-by-field");
const category = form.elements.category;

function showDecidedBy() {
  decidedBy.hidden = category.value !== "decision";
}
category.addEventListener("change", showDecidedBy);
showDecidedBy();

form.addEventListener("submit", async (submit) => {
  submit.preventDefault();
  const errors = document.getElementById("form-errors");
  const elements = form.elements;
  const body = { category: category.value, text: elements.text.value.trim(), significant: elements.significant.checked };
  const problems = [];
  if (!body.text) problems.push(t("js.journal.need_text"));
  if (body.category === "decision") {
    body.decided_by = elements.decided_by.value.trim();
    if (!body.decided_by) problems.push(t("js.journal.need_decided_by"));
  }
  if (elements.at.value) body.at = stockholmInstant(elements.at.value);
  if (elements.corrects?.value) body.corrects = Number(elements.corrects.value);
  if (problems.length) {
    errors.replaceChildren(...problems.map((line) => el("p", { text: line })));
    errors.hidden = false;
    return;
  }
  try {
    const { data } = await api("POST", `/api/v1/incidents/${boot.incident.id}/journal`, body);
    location.replace(`/incidents/${boot.incident.id}/journal?added=${data.number}#entry-${data.number}`);
  } catch (error) {
    errors.replaceChildren(...problemLines(error).map((line) => el("p", { text: line })));
    errors.hidden = false;
  }
});
