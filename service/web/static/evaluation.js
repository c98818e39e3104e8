// The evaluation of a closed incident (dashboard panel): what worked, what did not,
// actions with owners; saved with PUT …/evaluation, a new one replacing the last.

import { boot, el, api, problemLines } from "./common.js";

const form = document.getElementById("evaluation-form");
const actions = document.getElementById("evaluation-actions");
const add = document.getElementById("evaluation-add");
const errors = document.getElementById("evaluation-errors");

function field(id, name, text, type) {
  const input = el("input", { id, name, type: type || "text", maxlength: type ? null : "500" });
  return el("div", { class: "field" }, [el("label", { for: id, text }), input]);
}

add.addEventListener("click", () => {
  const n = actions.querySelectorAll(".action-row").length + 1;
  const row = el("div", { class: "field-row action-row", role: "group" }, [
    field(`action-${n}-text`, "text", add.dataset.text),
    field(`action-${n}-owner`, "owner", add.dataset.owner),
    field(`action-${n}-due`, "due", add.dataset.due, "date"),
  ]);
  row.setAttribute("aria-label", add.dataset.label.replace("{n}", String(n)));
  actions.insertBefore(row, add);
  row.querySelector("input").focus();
});

form.addEventListener("submit", async (submit) => {
  submit.preventDefault();
  const rows = [...actions.querySelectorAll(".action-row")].map((row) => ({
    text: row.querySelector("[name=text]").value.trim(),
    owner: row.querySelector("[name=owner]").value.trim(),
    due: row.querySelector("[name=due]").value || null,
  }));
  const body = {
    worked: form.elements.worked.value.trim(),
    did_not_work: form.elements.did_not_work.value.trim(),
    actions: rows.filter((a) => a.text || a.owner || a.due),
  };
  try {
    await api("PUT", `/api/v1/incidents/${boot.incident.id}/evaluation`, body);
    location.reload();
  } catch (error) {
    errors.replaceChildren(...problemLines(error).map((line) => el("p", { text: line })));
    errors.hidden = false;
  }
});
