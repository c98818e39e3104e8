// The dashboard's journal panel: the significant entries of the picture, newest first.

import { t, el, localTime } from "./common.js";

let drawn = null; // what the panel shows, as JSON

export function renderJournal(picture) {
  const journal = picture?.journal;
  // A picture of another moment is a new object with, most often, the same entries.
  const signature = JSON.stringify(journal ?? null);
  if (signature === drawn) return;
  drawn = signature;
  const list = document.getElementById("journal-significant");
  const count = document.getElementById("journal-count");
  if (!list) return;
  const entries = journal?.significant || [];
  if (journal) count.textContent = t("js.journal.count").replace("{n}", journal.count);
  if (!entries.length) {
    list.replaceChildren(el("li", { class: "muted", text: t("js.journal.none") }));
    return;
  }
  list.replaceChildren(...entries.map((entry) => el("li", { class: "journal-entry significant" },
    el("p", { class: "journal-meta" },
      el("strong", { text: `${entry.number}.` }), " ",
      el("time", { datetime: entry.at, text: localTime(entry.at) }), " ",
      el("span", { class: "tag", text: t(`js.journal.cat.${entry.category}`) }), " ",
      el("span", { class: "muted", text: `${entry.author}, ${entry.organisation}` })),
    el("p", { class: "pre", text: entry.text }),
    entry.decided_by ? el("p", { class: "muted", text: t("js.journal.decided_by").replace("{name}", entry.decided_by) }) : null,
    entry.corrected_by ? el("p", { class: "muted", text: t("js.journal.corrected_by").replace("{n}", entry.corrected_by.join(", ")) }) : null,
  )));
}
