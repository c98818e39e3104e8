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
