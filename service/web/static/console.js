// The duty officer's form: activate an incident, or change an active one.

import { boot, t, el, api, problemLines, stockholmInstant, stockholmWall } from "./common.js";

const form = document.getElementById("incident-form");
const editing = boot.incident;
const box = document.getElementById("participants");
const byCode = new Map(boot.organisations.map((org) => [org.code, org]));
const chosen = new Set(editing ? editing.participants : []);

function countyOf() {
  return editing ? editing.county : form.elements.county.value;
}

function render() {
  const county = countyOf();
  const shown = boot.organisations.filter((org) => org.county === county || chosen.has(org.code));
  for (const code of chosen) if (!byCode.has(code)) shown.push({ code, name: code });
  shown.sort((a, b) => a.name.localeCompare(b.name, "sv"));
  box.replaceChildren(...shown.map((org) => {
    const id = `org-${org.code}`;
    const input = el("input", { type: "checkbox", id, value: org.code, checked: chosen.has(org.code) });
    input.addEventListener("change", () => { input.checked ? chosen.add(org.code) : chosen.delete(org.code); count(); });
    return el("div", { class: "check" }, input, el("label", { for: id, text: `${org.name} (${org.code})` }));
  }));
  count();
}

function count() {
  document.getElementById("chosen-count").textContent = `${chosen.size} ${t("console.chosen")}`;
}

function selectCounty() {
  chosen.clear();
  for (const org of boot.organisations) if (org.county === countyOf()) chosen.add(org.code);
  render();
}

document.getElementById("all-orgs").replaceChildren(
  ...boot.organisations.map((org) => el("option", { value: `${org.name} (${org.code})` })));
document.getElementById("add-org-button").addEventListener("click", () => {
  const input = document.getElementById("add-org");
  const text = input.value.trim().toLowerCase();
  const match = boot.organisations.find((org) =>
    `${org.name} (${org.code})`.toLowerCase() === text || org.code.toLowerCase() === text || org.name.toLowerCase() === text);
  const errors = document.getElementById("form-errors");
  if (!match) { errors.replaceChildren(el("p", { text: t("console.unknown_org") })); errors.hidden = false; return; }
  errors.hidden = true;
  chosen.add(match.code);
  input.value = "";
  render();
});
document.getElementById("all").addEventListener("click", () => {
  box.querySelectorAll("input").forEach((input) => chosen.add(input.value));
  render();
});
document.getElementById("none").addEventListener("click", () => { chosen.clear(); render(); });
form.elements.county?.addEventListener("change", selectCounty);

function showKind() {
  const kind = form.elements.schedule_kind.value;
  form.querySelectorAll("[data-kind]").forEach((node) => { node.hidden = node.dataset.kind !== kind; });
}
form.querySelectorAll("input[name=schedule_kind]").forEach((input) => input.addEventListener("change", showKind));

function schedule() {
  if (form.elements.schedule_kind.value === "interval") {
    return {
      kind: "interval",
      interval_minutes: Math.round(Number(form.elements.interval.value) * 60),
      first_due_at: stockholmInstant(form.elements.first_due.value) ?? "",
    };
  }
  const times = form.elements.times.value.split(/[,\s]+/).filter(Boolean)
    .map((time) => (/^\d:\d\d$/.test(time) ? `0${time}` : time));
  return { kind: "daily", times, timezone: "Europe/Stockholm" };
}

function prefill() {
  if (!editing) { selectCounty(); return; }
  const current = editing.schedule;
  form.elements.schedule_kind.value = current.kind;
  if (current.kind === "daily") form.elements.times.value = current.times.join(", ");
  else {
    form.elements.interval.value = current.interval_minutes / 60;
    form.elements.first_due.value = stockholmWall(current.first_due_at);
  }
  showKind();
  render();
}

form.addEventListener("submit", async (submit) => {
  submit.preventDefault();
  const errors = document.getElementById("form-errors");
  errors.hidden = true;
  const body = {
    title: form.elements.title.value.trim(),
    description: form.elements.description.value.trim(),
    severity: form.elements.severity.value,
    participants: [...chosen].sort(),
    schedule: schedule(),
  };
  try {
    let id;
    if (editing) {
      const same = (key, value) => {
        if (key === "participants") return JSON.stringify(value) === JSON.stringify([...editing.participants].sort());
        if (key === "schedule" && value.kind === "interval" && editing.schedule.kind === "interval") {
          return value.interval_minutes === editing.schedule.interval_minutes
            && Date.parse(value.first_due_at) === Date.parse(editing.schedule.first_due_at);
        }
        return JSON.stringify(value) === JSON.stringify(editing[key]);
      };
      const changed = Object.fromEntries(Object.entries(body).filter(([key, value]) => !same(key, value)));
      if (Object.keys(changed).length) await api("PATCH", `/api/v1/incidents/${editing.id}`, changed);
      id = editing.id;
    } else {
      body.county = form.elements.county.value;
      body.exercise = form.elements.exercise.checked;
      id = (await api("POST", "/api/v1/incidents", body)).data.id;
    }
    location.assign(`/incidents/${id}`);
  } catch (error) {
    errors.replaceChildren(...problemLines(error).map((line) => el("p", { text: line })));
    errors.hidden = false;
    errors.focus?.();
  }
});

prefill();
