// The report form: carry-forward, a draft kept in the browser as it is typed, a review
// of what changed, and a send that survives a lost network by retrying the same
// report_id (the server stores it once, whatever the number of tries).

import { boot, t, localTime, el, api, ApiError, problemLines, stockholmInstant } from "./common.js";
import { changes, changeList } from "./diff.js";

const incident = boot.incident;
// An invitation link's page posts to the link's own address; a reporter's, to the API.
const REPORT_URL = boot.report_url || `/api/v1/incidents/${incident.id}/reports`;
const SECTORS = boot.sectors;
const DRAFT = `lagesbild:draft:${incident.id}:${boot.organisation}`;
const PENDING = `lagesbild:pending:${incident.id}:${boot.organisation}`;
const form = document.getElementById("report-form");
const needList = document.getElementById("needs");
const receipt = document.getElementById("receipt");
let previous = boot.previous;
let retryDelay = 2000;
let retryTimer = null;

const store = {
  get(key) { try { return JSON.parse(localStorage.getItem(key)); } catch { return null; } },
  set(key, value) { try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* full or private */ } },
  drop(key) { try { localStorage.removeItem(key); } catch { /* ignore */ } },
};

// --- the form's state, as plain values -------------------------------------------------

function state() {
  const values = {};
  for (const field of form.elements) {
    if (!field.name) continue;
    if (field.type === "radio") { if (field.checked) values[field.name] = field.value; }
    else values[field.name] = field.value;
  }
  values.needs = [...needList.children].map((row) => Object.fromEntries(
    [...row.querySelectorAll("[data-need]")].map((input) => [input.dataset.need, input.value])));
  return values;
}

function restore(values) {
  for (const field of form.elements) {
    if (!field.name || !(field.name in values)) continue;
    if (field.type === "radio") field.checked = field.value === values[field.name];
    else field.value = values[field.name];
  }
  needList.replaceChildren();
  for (const need of values.needs || []) addNeed(need);
}

function addNeed(need = {}) {
  const row = document.getElementById("need-template").content.firstElementChild.cloneNode(true);
  const id = need.need_id || `b-${Math.random().toString(36).slice(2, 8)}`;
  const index = needList.children.length + 1;
  row.querySelectorAll("[data-need]").forEach((input) => {
    const key = input.dataset.need;
    input.id = `need-${index}-${key}`;
    input.value = key === "need_id" ? id : (need[key] ?? input.value);
    const label = input.closest(".field")?.querySelector("label");
    if (label) label.htmlFor = input.id;
  });
  row.querySelector(".need-id").textContent = `${t("field.need")} ${id}`;
  needList.append(row);
  return row;
}

const lines = (text) => (text || "").split("\n").map((line) => line.trim()).filter(Boolean);

// The report content the form describes, as the API takes it.
function content(values) {
  const sectors = SECTORS.flatMap((sector) => {
    const status = values[`sector.${sector}.status`];
    const text = (values[`sector.${sector}.text`] || "").trim();
    if (!status && !text) return [];
    return [{ sector, status: status || "unknown", text }];
  });
  const contact = { name: values.contact_name.trim(), phone: values.contact_phone.trim(), email: values.contact_email.trim() };
  return {
    situation: values.situation.trim(),
    development: { trend: values.trend || "unknown", text: values.development_text.trim() },
    sectors,
    measures_taken: lines(values.measures_taken),
    measures_planned: lines(values.measures_planned),
    needs: values.needs.filter((need) => need.text.trim()).map((need) => ({
      need_id: need.need_id, text: need.text.trim(), urgency: need.urgency, status: need.status })),
    management: values.management_level ? { level: values.management_level, text: values.management_text.trim() } : null,
    public_information: values.public_information.trim(),
    contact: contact.name || contact.phone || contact.email ? contact : null,
    next_report_at: stockholmInstant(values.next_report_at),
  };
}

// --- draft ------------------------------------------------------------------------------

function saveDraft() {
  store.set(DRAFT, { values: state(), saved_at: new Date().toISOString(), base_version: previous?.version ?? 0 });
}

function loadDraft() {
  const draft = store.get(DRAFT);
  if (!draft?.values) return;
  restore(draft.values);
  const note = document.getElementById("draft-note");
  let text = `${t("js.draft_restored")} ${localTime(draft.saved_at)}.`;
  if ((previous?.version ?? 0) !== draft.base_version) text += ` ${t("js.draft_outdated")}`;
  note.querySelector("span").textContent = text;
  note.hidden = false;
}

// --- sending ----------------------------------------------------------------------------

function showReceipt(kind, detail = "") {
  receipt.dataset.state = kind;
  receipt.replaceChildren(el("strong", { text: t(`js.receipt.${kind}`) }), detail ? ` ${detail}` : "");
}

// One report on its way at a time: while one is pending, the send buttons rest, so a
// double tap or a second send can neither make two reports nor replace the first.
function sending(busy) {
  for (const id of ["review", "send", "unchanged"]) {
    const button = document.getElementById(id);
    if (button) button.disabled = busy;
  }
}

function queue(body) {
  if (store.get(PENDING)) return;
  store.set(PENDING, { body, queued_at: new Date().toISOString() });
  sending(true);
  deliver();
}

let inFlight = false;

async function deliver() {
  clearTimeout(retryTimer);
  const pending = store.get(PENDING);
  if (!pending || inFlight) return;
  inFlight = true;
  sending(true);
  showReceipt("sending");
  try {
    const { data } = await api("POST", REPORT_URL, pending.body);
    if (store.get(PENDING)?.body.report_id === pending.body.report_id) store.drop(PENDING);
    store.drop(DRAFT);
    sending(false);
    previous = data;
    retryDelay = 2000;
    document.getElementById("draft-note").hidden = true;
    const overdue = document.getElementById("late-note");
    if (overdue) overdue.hidden = true; // reported since
    const late = data.late ? ` ${t("js.was_late")}` : "";
    showReceipt("received", `${localTime(data.received_at)}, ${t("version").toLowerCase()} ${data.version}.${late}`);
    document.getElementById("previous-info").textContent =
      `${t("js.previous")}: ${t("version")} ${data.version}, ${localTime(data.received_at)}`;
    receipt.focus();
  } catch (error) {
    if (error instanceof ApiError && error.status >= 400 && error.status < 500 && ![408, 429].includes(error.status)) {
      // Refused: nothing was stored. The draft stays; the person can fix and send again.
      store.drop(PENDING);
      sending(false);
      const lines = error.status === 401 ? [t("js.logged_out_draft_kept")] : problemLines(error);
      showReceipt("refused");
      const box = document.getElementById("form-errors");
      if (box) { box.replaceChildren(...lines.map((line) => el("p", { text: line }))); box.hidden = false; }
      return;
    }
    showReceipt("queued", t("js.will_retry"));
    retryTimer = setTimeout(deliver, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  } finally {
    inFlight = false;
  }
}

function newReportId() {
  return crypto.randomUUID ? crypto.randomUUID() : "10000000-1000-4000-8000-100000000000".replace(/[018]/g,
    (c) => (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
}

function asOf(values) {
  return stockholmInstant(values.as_of) ?? new Date().toISOString();
}

// --- wiring -----------------------------------------------------------------------------

function start() {
  window.addEventListener("online", deliver);
  // A report queued before the incident closed is still sent (the server says whether
  // it is taken), so it is never left waiting unseen.
  if (store.get(PENDING)) deliver();
  if (!form) return;
  for (const need of (previous?.needs || []).filter((n) => n.status === "open")) addNeed(need);
  loadDraft();
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  document.getElementById("add-need").addEventListener("click", () => {
    addNeed().querySelector("[data-need=text]").focus();
    saveDraft();
  });
  document.getElementById("discard").addEventListener("click", () => {
    store.drop(DRAFT);
    location.reload();
  });

  const dialog = document.getElementById("summary");
  form.addEventListener("submit", (submit) => {
    submit.preventDefault();
    document.getElementById("form-errors").hidden = true;
    const values = state();
    const found = changes(previous, content(values));
    document.getElementById("summary-h").textContent = t(previous ? "js.review_title" : "js.review_first");
    document.getElementById("summary-body").replaceChildren(
      changeList(found) || el("p", { text: t("js.no_changes_send_unchanged") }));
    dialog.showModal();
  });
  document.getElementById("keep-editing").addEventListener("click", () => dialog.close());
  document.getElementById("send").addEventListener("click", () => {
    dialog.close();
    const values = state();
    queue({ report_id: newReportId(), organisation: boot.organisation, as_of: asOf(values), ...content(values) });
  });
  document.getElementById("unchanged-form")?.addEventListener("submit", (submit) => {
    submit.preventDefault();
    queue({ report_id: newReportId(), organisation: boot.organisation, unchanged: true, as_of: new Date().toISOString() });
  });
}

start();
