// One organisation's reports: under each, what changed since the one before (diff.js,
// as the report form's review says it). The whole report stays one tap away.

import { boot, t, el } from "./common.js";
import { changes, changeList } from "./diff.js";

const byVersion = new Map(boot.reports.map((report, i) => [report.version, [boot.reports[i - 1] || null, report]]));

for (const item of document.querySelectorAll(".history > li[data-version]")) {
  const [before, report] = byVersion.get(Number(item.dataset.version)) || [];
  if (!report) continue;
  const section = item.querySelector(".changed");
  section.append(changeList(changes(before, report)) || el("p", { text: t("no_changes") }));
  section.hidden = false;
  item.querySelector(".report-full").open = false;
}
