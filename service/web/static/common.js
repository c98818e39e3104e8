// Shared by every page: boot data, texts, times, and calls to the JSON API.

export const boot = JSON.parse(document.getElementById("boot")?.textContent || "{}");
const strings = boot.strings || {};

export function t(key) {
  return strings[key] ?? key;
}

const timeFormat = new Intl.DateTimeFormat("sv-SE", {
  timeZone: "Europe/Stockholm",
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
});

// "2026-11-22 14:00" in Stockholm time, the Swedish way.
export function localTime(iso) {
  if (!iso) return "–";
  const date = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(date.getTime())) return "–";
  return timeFormat.format(date).replace(",", "");
}

// Times typed in datetime-local inputs are Stockholm's wall clock, whatever the zone the
// device is set to (a duty officer's laptop may well be on UTC).
const wallFormat = new Intl.DateTimeFormat("en-CA", {
  timeZone: "Europe/Stockholm", hourCycle: "h23",
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
});

function wallParts(ms) {
  return Object.fromEntries(wallFormat.formatToParts(new Date(ms)).map((part) => [part.type, part.value]));
}

// Stockholm's offset from UTC at the instant `ms` (a whole second), in milliseconds.
function offsetAt(ms) {
  const p = wallParts(ms);
  return Date.UTC(+p.year, p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - ms;
}

// "2026-11-22T14:00": the instant `iso` on Stockholm's clocks, for a datetime-local input.
export function stockholmWall(iso) {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return "";
  const p = wallParts(ms);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

// The instant (ISO 8601, UTC) when Stockholm's clocks show `wall` ("2026-11-22T14:00",
// as a datetime-local input gives it); null when it is no such time. As for the daily
// schedule's times: a time in the spring gap falls as far after it (02:30 is 03:30),
// a time the autumn repeats is its first occurrence.
export function stockholmInstant(wall) {
  const match = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?$/.exec(wall || "");
  if (!match) return null;
  const [, year, month, day, hour, minute, second] = match;
  const asUtc = Date.UTC(+year, month - 1, +day, +hour, +minute, +(second || 0));
  const DAY = 86400000;
  const before = offsetAt(asUtc - DAY), after = offsetAt(asUtc + DAY);
  const fits = [before, after].find((offset) => offsetAt(asUtc - offset) === offset);
  return new Date(asUtc - (fits ?? before)).toISOString();
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Make `list`'s children the nodes of `items` ([key, signature, build]), in that order.
// A child whose key and signature are unchanged is kept where it is, and the browser
// neither styles nor lays it out again: a slider step or a report changes a few entries
// of a long list, and rebuilding all of them would make it lay out every one. Keys are
// meant to be unique; a key given twice gets a node of its own each time.
export function keyedChildren(list, items) {
  const old = new Map();
  for (const child of list.children) if (child.keyed) old.set(child.keyed.key, child);
  const wanted = items.map(([key, signature, build]) => {
    const found = old.get(key);
    old.delete(key);
    if (found && found.keyed.signature === signature) return found;
    const node = build();
    node.keyed = { key, signature };
    return node;
  });
  const keep = new Set(wanted);
  for (const child of [...list.children]) if (!keep.has(child)) child.remove();
  let next = list.firstElementChild;
  for (const node of wanted) {
    if (node === next) next = next.nextElementSibling;
    else list.insertBefore(node, next);
  }
}

export class ApiError extends Error {
  constructor(status, problem) {
    // No problem+json (a proxy's error page, a portal's log-in page): say so in words.
    super(problem?.detail || problem?.title || t("js.error.unreadable").replace("{status}", status));
    this.status = status;
    this.problem = problem;
  }
}

const JSON_TYPE = /^application\/(problem\+)?json\b/i;

// A call to the API with the session's CSRF token. Network failures and timeouts throw
// what fetch throws (TypeError, DOMException); answers other than 2xx, and 2xx answers
// that are not the API's JSON, throw ApiError with the problem+json body, if any.
export async function api(method, url, body, { timeout = 30000 } = {}) {
  const headers = { "Accept": "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = boot.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  // A request on a link that died mid-way would otherwise hang for minutes.
  const response = await fetch(url, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeout),
  });
  const text = await response.text();
  let data = null, readable = !text;
  if (text && JSON_TYPE.test(response.headers.get("Content-Type") || "")) {
    try { data = JSON.parse(text); readable = true; } catch { /* cut short on the way */ }
  }
  if (!response.ok || !readable) throw new ApiError(response.status, data);
  return { status: response.status, data };
}

// RFC 7396 JSON Merge Patch: null removes, objects merge, anything else replaces.
export function mergePatch(target, patch) {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const result = (target && typeof target === "object" && !Array.isArray(target)) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

// What went wrong, as lines for the person: the problem and its field errors as
// "field: message", or that the service could not be reached at all.
export function problemLines(error) {
  if (!(error instanceof ApiError)) return [t("js.error.network")];
  const problem = error.problem || {};
  const lines = (problem.errors || []).map((e) => `${(e.loc || []).join(".")}: ${e.msg || e.message || ""}`);
  return [error.message, ...lines];
}
