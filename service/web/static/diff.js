// What changed between two reports of one organisation: fields as a reader would write
// them, not JSON text. The one definition of it: the report form shows it before sending
// (offline too, so it cannot ask the server) and the history page for every report.

import { boot, t, localTime, el } from "./common.js";

const SECTORS = boot.sectors || [];

const joined = (separator, ...parts) => parts.filter(Boolean).join(separator);

// key → [label, display value] for every field of a report, in the form's order.
function fields(report) {
  const map = new Map();
  if (!report) return map;
  map.set("situation", [t("field.situation"), report.situation || ""]);
  map.set("trend", [t("field.trend"), t(`trend.${report.development?.trend || "unknown"}`)]);
  map.set("development", [t("field.development"), report.development?.text || ""]);
  for (const sector of SECTORS) {
    const entry = (report.sectors || []).find((item) => item.sector === sector);
    const status = entry ? t(`impact.${entry.status}`) : "";
    map.set(`sector.${sector}`, [t(`sector.${sector}`), entry?.text ? `${status}: ${entry.text}` : status]);
  }
  map.set("measures_taken", [t("field.measures_taken"), (report.measures_taken || []).join("\n")]);
  map.set("measures_planned", [t("field.measures_planned"), (report.measures_planned || []).join("\n")]);
  for (const need of report.needs || []) {
    map.set(`need.${need.need_id}`, [`${t("field.need")} ${need.need_id}`,
      `${need.text} (${t(`urgency.${need.urgency}`)}, ${t(`need.${need.status}`)})`]);
  }
  const management = report.management;
  map.set("management", [t("field.management"),
    management ? joined(" – ", t(`management.${management.level}`), management.text) : ""]);
  map.set("public_information", [t("field.public_information"), report.public_information || ""]);
  const contact = report.contact;
  map.set("contact", [t("field.contact"), contact ? joined(", ", contact.name, contact.phone, contact.email) : ""]);
  map.set("next_report_at", [t("field.next_report_at"), report.next_report_at ? localTime(report.next_report_at) : ""]);
  return map;
}

// Each field whose meaning differs, with both values ("–" for none); `before` is null for
// an organisation's first report.
export function changes(before, after) {
  const old = fields(before), now = fields(after);
  return [...new Set([...now.keys(), ...old.keys()])].flatMap((key) => {
    const was = old.get(key)?.[1] || "", is = now.get(key)?.[1] || "";
    return was === is ? [] : [{ label: (now.get(key) || old.get(key))[0], was: was || "–", is: is || "–" }];
  });
}

// The changes as a list a person reads; null when there are none.
export function changeList(found) {
  if (!found.length) return null;
  return el("dl", { class: "changes" }, found.map((change) => [
    el("dt", { text: change.label }),
    el("dd", {}, change.was === "–" ? null : [el("del", { text: change.was }), " → "], el("ins", { text: change.is })),
  ]));
}
