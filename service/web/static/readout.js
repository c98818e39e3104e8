// The Rakel read-out panel: fetch the script, show it, and speak it where the browser can.

import { boot, el, api, t } from "./common.js";

const form = document.getElementById("readout-form");
const text = document.getElementById("readout-text");
const meta = document.getElementById("readout-meta");
const speak = document.getElementById("readout-speak");
const synth = "speechSynthesis" in window ? window.speechSynthesis : null;
let sentences = [];

async function show() {
  const organisation = form.elements.organisation.value;
  const query = new URLSearchParams({ format: "json" });
  if (organisation) query.set("organisation", organisation);
  try {
    const { data } = await api("GET", `/api/v1/incidents/${boot.incident.id}/readout?${query}`);
    sentences = data.sentences;
    text.replaceChildren(...sentences.map((line) => el("p", { text: line })));
    const seconds = Math.round(data.words / 2);  // about two words a second on the radio
    const lines = [t("js.readout.words").replace("{n}", data.words).replace("{s}", seconds)];
    if (data.left_out) lines.push(t("js.readout.left_out").replace("{n}", data.left_out));
    meta.textContent = lines.join(" ");
  } catch {
    sentences = [];
    text.replaceChildren(el("p", { class: "alert", text: t("js.readout.failed") }));
    meta.textContent = "";
  }
  text.hidden = false;
  meta.hidden = !meta.textContent;
  speak.hidden = !synth || sentences.length === 0;
}

form.addEventListener("submit", (submit) => {
  submit.preventDefault();
  if (synth) synth.cancel();
  show();
});

speak.addEventListener("click", () => {
  if (!synth) return;
  if (synth.speaking) {
    synth.cancel();
    speak.textContent = t("readout.speak");
    return;
  }
  const utterance = new SpeechSynthesisUtterance(sentences.join(" "));
  utterance.lang = "sv-SE";
  utterance.onend = () => { speak.textContent = t("readout.speak"); };
  speak.textContent = t("readout.stop");
  synth.speak(utterance);
});
