// The shared summary draft: autosaved (debounced PUT with If-Match), kept in step with
// other editors (polling), merged on a 412, checked before publishing.

import { boot, t, el, localTime } from "./common.js";

const base = `/api/v1/incidents/${boot.incident.id}/summaries`;
const KEYS = ["assessment", "sectors", "development", "measures_taken", "measures_planned", "requests", "other"];
const SAVE_AFTER_MS = 1200;
const POLL_MS = 4000;

const $ = (selector) => document.querySelector(selector);
const form = $("#draft-form");
const state = {
  etag: null, synced: null, draft: null, previous: null, timer: null,
  saving: null, conflict: false, clashes: [],
};

function fill(text, values) {
  return Object.entries(values).reduce((out, [key, value]) => out.replaceAll(`{${key}}`, value), text);
}

// One call to the API with the session's CSRF token; answers are never thrown.
async function call(method, url, body, ifMatch) {
  const headers = { "Accept": "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = boot.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (ifMatch) headers["If-Match"] = ifMatch;
  const response = await fetch(url, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30000),
  });
  let data = null;
  try { data = await response.json(); } catch { /* not JSON */ }
  return { status: response.status, data, etag: response.headers.get("ETag") };
}

// --- the form and the content ------------------------------------------------------------

const lines = (id) => document.getElementById(id).value.split("\n").map((l) => l.trim()).filter(Boolean);

function requestRows() {
  return [...document.querySelectorAll("#requests li")].map((row) => {
    const value = (name) => row.querySelector(`[data-name=${name}]`).value.trim();
    return { id: value("id"), text: value("text"), urgency: value("urgency"), status: value("status") };
  }).filter((r) => r.id || r.text);
}

// The content in its canonical shape: what the server stores, so comparisons are exact.
function canonical(content) {
  const sectors = (content.sectors || []).map((s) => ({
    sector: s.sector, level: s.level ?? null, reason: s.level ? (s.reason || "") : "", comment: s.comment || "",
  })).filter((s) => s.level || s.comment);
  return {
    assessment: content.assessment || "",
    sectors,
    development: { trend: content.development?.trend || "unknown", text: content.development?.text || "" },
    measures_taken: content.measures_taken || [],
    measures_planned: content.measures_planned || [],
    requests: (content.requests || []).map((r) => ({ id: r.id, text: r.text, urgency: r.urgency || "medium", status: r.status || "open" })),
    other: content.other || "",
  };
}

function formContent() {
  return canonical({
    assessment: $("#assessment").value.trim(),
    sectors: boot.sectors.map((sector) => ({
      sector,
      level: document.getElementById(`level-${sector}`).value || null,
      reason: document.getElementById(`reason-${sector}`).value.trim(),
      comment: document.getElementById(`comment-${sector}`).value.trim(),
    })),
    development: { trend: $("#trend").value, text: $("#development-text").value.trim() },
    measures_taken: lines("measures_taken"),
    measures_planned: lines("measures_planned"),
    requests: requestRows(),
    other: $("#other").value.trim(),
  });
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

let rowCount = 0;
function addRequestRow(request = {}) {
  const row = $("#request-row").content.firstElementChild.cloneNode(true);
  rowCount += 1;
  for (const label of row.querySelectorAll("label[data-for]")) {
    const input = row.querySelector(`[data-name=${label.dataset.for}]`);
    input.id = `request-${rowCount}-${label.dataset.for}`;
    label.htmlFor = input.id;
  }
  const taken = new Set(requestRows().map((r) => r.id));
  let n = taken.size + 1;
  while (taken.has(`b-${n}`)) n += 1;
  row.querySelector("[data-name=id]").value = request.id || `b-${n}`;
  row.querySelector("[data-name=text]").value = request.text || "";
  row.querySelector("[data-name=urgency]").value = request.urgency || "medium";
  row.querySelector("[data-name=status]").value = request.status || "open";
  row.querySelector(".remove").addEventListener("click", () => { row.remove(); changed(); });
  $("#requests").append(row);
  return row;
}

function fillField(key, content) {
  if (key === "assessment") $("#assessment").value = content.assessment;
  if (key === "other") $("#other").value = content.other;
  if (key === "measures_taken" || key === "measures_planned") document.getElementById(key).value = content[key].join("\n");
  if (key === "development") {
    $("#trend").value = content.development.trend;
    $("#development-text").value = content.development.text;
  }
  if (key === "sectors") {
    const given = Object.fromEntries(content.sectors.map((s) => [s.sector, s]));
    for (const sector of boot.sectors) {
      const entry = given[sector] || {};
      document.getElementById(`level-${sector}`).value = entry.level || "";
      document.getElementById(`reason-${sector}`).value = entry.reason || "";
      document.getElementById(`comment-${sector}`).value = entry.comment || "";
    }
  }
  if (key === "requests") {
    $("#requests").replaceChildren();
    for (const request of content.requests) addRequestRow(request);
  }
}

function fillForm(content) {
  for (const key of KEYS) fillField(key, content);
}

// --- showing state -------------------------------------------------------------------------

function showDraft(draft) {
  state.draft = draft;
  $("#last-edit").textContent = draft.updated_by
    ? fill(t("summaries.js.last_edit"), { at: localTime(draft.updated_at), by: draft.updated_by })
    : "";
  for (const view of draft.sectors) {
    document.getElementById(`follow-${view.sector}`).textContent =
      `${t("summaries.follow_picture")} (${t(`impact.${view.picture_level}`)})`;
  }
  checks();
}

function say(key, values = {}) {
  $("#save-state").textContent = fill(t(key), values);
}

const sectionName = (key) => t(`summaries.${key}`);

// Blank sections (as the server counts them) and what changed since the last published one.
function checks() {
  const draft = state.draft;
  if (!draft) return;
  const blank = draft.blank;
  $("#blank-list").textContent = blank.length
    ? fill(t("summaries.js.blank"), { sections: blank.map(sectionName).join(", ") })
    : t("summaries.js.no_blank");
  $("#blank-list").className = blank.length ? "warning" : "";
  const previous = state.previous;
  if (!previous) {
    $("#changed-list").textContent = t("summaries.js.first");
  } else {
    const now = canonical(draft.content);
    const then = canonical(previous);
    // Sectors as they would be published now (the picture moves too) against the last ones.
    const levels = (views) => views.map((v) => [v.sector, v.level, v.reason, v.comment]);
    now.sectors = levels(draft.sectors);
    then.sectors = levels(previous.sectors);
    const moved = KEYS.filter((key) => !same(now[key], then[key]));
    $("#changed-list").textContent = moved.length
      ? fill(t("summaries.js.changed_since"), { n: previous.number, sections: moved.map(sectionName).join(", ") })
      : fill(t("summaries.js.unchanged_since"), { n: previous.number });
  }
  const publish = $("#publish");
  if (publish) {
    publish.textContent = fill(t("summaries.js.publish"), { n: (draft.last_number || 0) + 1 });
    $("#anyway-field").hidden = blank.length === 0;
  }
}

// --- saving, polling, merging --------------------------------------------------------------

function changed() {
  if (state.conflict) return;
  clearTimeout(state.timer);
  state.timer = setTimeout(save, SAVE_AFTER_MS);
}

async function save() {
  clearTimeout(state.timer);
  if (state.saving) { await state.saving; }
  if (state.conflict) return false;
  const content = formContent();
  const pictureLevel = Object.fromEntries((state.draft?.sectors || []).map((v) => [v.sector, v.picture_level]));
  const unexplained = content.sectors.find((s) => s.level && s.level !== pictureLevel[s.sector] && !s.reason);
  if (unexplained) {
    say("summaries.js.need_reason", { sector: t(`sector.${unexplained.sector}`) });
    return false;
  }
  if (same(content, state.synced)) {
    if (state.draft?.updated_by) say("summaries.js.saved");
    return true;
  }
  state.saving = (async () => {
    say("summaries.js.saving");
    let reply;
    try {
      reply = await call("PUT", `${base}/draft`, content, state.etag);
    } catch (error) {
      say("summaries.js.save_failed", { error: error.message });
      return false;
    }
    if (reply.status === 200) {
      state.etag = reply.etag;
      state.synced = canonical(reply.data.content);
      showDraft(reply.data);
      say("summaries.js.saved");
      if (!same(formContent(), state.synced)) changed();
      return true;
    }
    if (reply.status === 412) {
      await merge(content);
      return false;
    }
    say("summaries.js.save_failed", { error: reply.data?.errors?.map((e) => e.msg).join("; ") || reply.data?.detail || reply.status });
    return false;
  })();
  try { return await state.saving; } finally { state.saving = null; }
}

// Someone else saved since we last read: take in what only they changed, and let the person
// choose where both changed the same section.
async function merge(mine) {
  const reply = await call("GET", `${base}/draft`);
  const theirs = canonical(reply.data.content);
  const before = state.synced;
  const byThem = KEYS.filter((key) => !same(theirs[key], before[key]));
  const byMe = KEYS.filter((key) => !same(mine[key], before[key]));
  const taken = byThem.filter((key) => !byMe.includes(key));
  const clashes = byThem.filter((key) => byMe.includes(key) && !same(mine[key], theirs[key]));
  for (const key of taken) fillField(key, theirs);
  state.etag = reply.etag;
  state.synced = theirs;
  showDraft(reply.data);
  const by = reply.data.updated_by || "?";
  const panel = $("#merge");
  $("#merge-h").textContent = fill(t("summaries.js.conflict"), { by });
  $("#merged-in").textContent = taken.length
    ? fill(t("summaries.js.merged_in"), { by, fields: taken.map(sectionName).join(", ") })
    : "";
  $("#clashes").replaceChildren(...clashes.map((key) => clashChoice(key, theirs[key], mine[key])));
  state.clashes = clashes.map((key) => ({ key, theirs, mine }));
  panel.hidden = false;
  $("#merge-h").focus();
  state.conflict = clashes.length > 0;
  $("#save-merge").hidden = !state.conflict;
  // Saved once the save under way (this one) has finished.
  if (!state.conflict) Promise.resolve().then(save);
}

function shown(key, content) {
  const value = content[key];
  if (key === "development") return `${t(`trend.${value.trend}`)}: ${value.text}`;
  if (key === "sectors") return value.map((s) => `${t(`sector.${s.sector}`)}: ${s.level ? t(`impact.${s.level}`) : "–"} ${s.comment}`).join("\n");
  if (key === "requests") return value.map((r) => `${r.id}: ${r.text} (${t(`urgency.${r.urgency}`)}, ${t(`need.${r.status}`)})`).join("\n");
  if (Array.isArray(value)) return value.join("\n");
  return value;
}

function clashChoice(key, theirs, mine) {
  const name = `choice-${key}`;
  const option = (which, label, content, checked) => el("div", { class: "choice" },
    el("input", { type: "radio", name, id: `${name}-${which}`, value: which, checked }),
    el("label", { for: `${name}-${which}` }, label),
    el("pre", { class: "pre version" }, shown(key, content) || t("summaries.empty")));
  return el("fieldset", { class: "clash", "data-key": key },
    el("legend", {}, sectionName(key)),
    option("theirs", t("summaries.js.take_theirs"), { [key]: theirs }, false),
    option("mine", t("summaries.js.keep_mine"), { [key]: mine }, true));
}

$("#save-merge").addEventListener("click", async () => {
  for (const { key, theirs, mine } of state.clashes) {
    const choice = document.querySelector(`input[name=choice-${key}]:checked`)?.value || "mine";
    fillField(key, choice === "theirs" ? theirs : mine);
  }
  state.conflict = false;
  state.clashes = [];
  $("#merge").hidden = true;
  await save();
});

// Another editor's saves appear while this person is not typing.
async function poll() {
  if (state.conflict || state.saving || !same(formContent(), state.synced)) return;
  const reply = await call("GET", `${base}/draft`).catch(() => null);
  if (!reply || reply.status !== 200) return;
  if (reply.etag !== state.etag && same(formContent(), state.synced)) {
    state.etag = reply.etag;
    state.synced = canonical(reply.data.content);
    fillForm(state.synced);
  }
  showDraft(reply.data);
}

async function loadPrevious(number) {
  if (!number) { state.previous = null; return; }
  const reply = await call("GET", `${base}/${number}`);
  state.previous = reply.status === 200 ? reply.data : null;
}

// --- publishing ----------------------------------------------------------------------------

const publish = $("#publish");
if (publish) {
  publish.addEventListener("click", async () => {
    const errors = $("#publish-errors");
    errors.hidden = true;
    if (!(await save())) {
      // Not saved (a conflict to resolve, or a refusal): nothing is published.
      errors.textContent = $("#save-state").textContent;
      errors.hidden = false;
      return;
    }
    if (state.draft.blank.length && !$("#publish-anyway").checked) {
      errors.textContent = t("summaries.js.confirm_blank");
      errors.hidden = false;
      $("#publish-anyway").focus();
      return;
    }
    const corrects = $("#corrects").value ? Number($("#corrects").value) : null;
    const reply = await call("POST", base, corrects ? { corrects } : {}, state.etag);
    if (reply.status === 201) {
      location.assign(`/incidents/${boot.incident.id}/summaries/${reply.data.number}`);
      return;
    }
    errors.textContent = reply.data?.detail || reply.data?.title || String(reply.status);
    errors.hidden = false;
  });
}

// --- start -----------------------------------------------------------------------------------

form.addEventListener("input", changed);
form.addEventListener("change", changed);
$("#add-request").addEventListener("click", () => {
  addRequestRow().querySelector("[data-name=text]").focus();
});

const first = await call("GET", `${base}/draft`);
state.etag = first.etag;
state.synced = canonical(first.data.content);
fillForm(state.synced);
await loadPrevious(first.data.last_number);
showDraft(first.data);
if (first.data.updated_by) say("summaries.js.saved");
form.dataset.ready = "true";
setInterval(poll, POLL_MS);
window.addEventListener("focus", poll);
