// The dashboard's time control: a slider over the incident's life, deadlines marked,
// that shows the picture as it stood at a moment until "back to live". Each moment is
// asked over the live stream's socket (a `moment` frame) and, when that cannot answer,
// with GET …/picture?at=: the same picture either way.
//
// Keys on the slider: arrows move 5 minutes, Page Up / Page Down to the next / previous
// deadline, Home to the activation, End back to live. While a past moment is shown the
// live stream goes on being received (by the dashboard); only the view stays put.

import { t, localTime } from "./common.js";

const MINUTE = 60000;
const STEP = 5; // minutes an arrow key moves
const KEPT = 16; // pictures of past moments kept, the latest used last to go
// A moment this close to now may still gain events (a round closes a moment after its
// deadline but is stamped with it): its picture is fetched each time, never kept.
const SETTLED = 5 * MINUTE;

export class TimeControl {
  constructor(root, { incident, onShow, lookBack }) {
    this.root = root;
    this.lookBack = lookBack; // (ISO time, signal) → Promise of the picture, over the stream
    this.incidentId = incident.id;
    // A millisecond after the activation: the time is kept in microseconds, and the
    // picture of a moment before the activation does not exist.
    this.start = Date.parse(incident.activated_at) + 1;
    this.closedAt = incident.closed_at ? Date.parse(incident.closed_at) : null;
    this.onShow = onShow; // (picture|null, moment ms|null): null = live again
    this.range = root.querySelector("#moment-range");
    this.banner = root.querySelector("#moment-banner");
    this.text = root.querySelector("#moment-text");
    this.marks = root.querySelector("#moment-marks");
    this.deadlines = [];
    this.past = false;
    this.shown = null;     // the moment (ms) on screen while in the past
    this.request = null;   // the fetch under way, aborted when the slider moves on
    this.kept = new Map(); // moment (ms) → Promise of its picture: the past does not change
    this.last = null;      // the moment shown before, to know which way the slider moves
    root.querySelector("#moment-live").addEventListener("click", () => this.live());
    this.range.addEventListener("input", () => this.moved());
    this.range.addEventListener("keydown", (key) => this.key(key));
    this.stretch();
    setInterval(() => this.stretch(), 30000);
  }

  end() {
    return this.closedAt ?? Math.max(Date.now(), this.start);
  }

  // The moment on screen: a past one, or now.
  get moment() {
    return this.past ? this.shown : this.end();
  }

  // The slider's values are whole minutes since 1970, so a deadline (on the minute) is
  // one of them: from the first minute after the activation to now (or the closure).
  minutes(moment) {
    return Math.round(moment / MINUTE);
  }

  // The slider spans activation → now (or the closure); live, it stays at its end.
  stretch() {
    const min = Math.ceil(this.start / MINUTE);
    const max = Math.max(min + 1, Math.floor(this.end() / MINUTE));
    this.range.min = String(min);
    this.range.max = String(max);
    if (!this.past) this.range.value = String(max);
    this.describe();
    this.drawMarks();
  }

  // The incident closed: its life ends there.
  endAt(closedAt) {
    const at = Date.parse(closedAt);
    if (Number.isNaN(at) || this.closedAt === at) return;
    this.closedAt = at;
    this.stretch();
  }

  setDeadlines(deadlines) {
    this.deadlines = [...new Set(deadlines)].map(Date.parse).filter((at) => at >= this.start).sort((a, b) => a - b);
    this.drawMarks();
  }

  drawMarks() {
    const min = Number(this.range.min), max = Number(this.range.max);
    this.marks.replaceChildren(...this.deadlines
      .filter((at) => at <= this.end())
      .map((at) => {
        const mark = document.createElement("span");
        mark.className = "moment-mark";
        mark.style.left = `${(100 * (this.minutes(at) - min)) / (max - min)}%`;
        mark.title = localTime(new Date(at));
        return mark;
      }));
  }

  describe() {
    const value = Number(this.range.value), max = Number(this.range.max);
    const text = value >= max && !this.past ? t("js.moment.now") : localTime(new Date(value * MINUTE));
    this.range.setAttribute("aria-valuetext", text);
    this.root.querySelector("#moment-value").textContent = text;
  }

  key(event) {
    const value = Number(this.range.value), min = Number(this.range.min), max = Number(this.range.max);
    const at = value * MINUTE;
    let next = null;
    if (event.key === "ArrowLeft" || event.key === "ArrowDown") next = value - STEP;
    else if (event.key === "ArrowRight" || event.key === "ArrowUp") next = value + STEP;
    else if (event.key === "PageDown") {
      const earlier = this.deadlines.filter((due) => due < at);
      next = earlier.length ? this.minutes(earlier[earlier.length - 1]) : min;
    } else if (event.key === "PageUp") {
      const later = this.deadlines.find((due) => due > at && due < this.end());
      next = later === undefined ? max : this.minutes(later);
    } else if (event.key === "Home") next = min;
    else if (event.key === "End") next = max;
    if (next === null) return;
    event.preventDefault();
    this.range.value = String(Math.min(max, Math.max(min, next)));
    this.moved();
  }

  moved() {
    const value = Number(this.range.value), max = Number(this.range.max);
    if (value >= max) { this.live(); return; }
    this.show(Math.max(this.start, value * MINUTE));
  }

  // The picture at `moment` (a Promise), kept when the moment has settled. A fetch that
  // is aborted because the slider moved on is not kept.
  picture(moment, signal) {
    const known = this.kept.get(moment);
    if (known) {
      this.kept.delete(moment); // kept again below as the latest used
      this.kept.set(moment, known);
      return known;
    }
    const at = new Date(moment).toISOString();
    const overHttp = () => fetch(`/api/v1/incidents/${this.incidentId}/picture?at=${encodeURIComponent(at)}`,
      { credentials: "same-origin", cache: "no-store", signal, headers: { Accept: "application/json" } })
      .then((response) => {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      });
    const found = (this.lookBack ? this.lookBack(at, signal) : Promise.reject(new Error("no stream")))
      .catch((error) => { if (error.name === "AbortError") throw error; return overHttp(); });
    if (this.end() - moment >= SETTLED) {
      this.kept.set(moment, found);
      found.catch(() => { if (this.kept.get(moment) === found) this.kept.delete(moment); });
      while (this.kept.size > KEPT) this.kept.delete(this.kept.keys().next().value);
    }
    return found;
  }

  // After an arrow-key step, fetch the next one the same way while the one on screen is
  // looked at: a person stepping through the hours gets each step without waiting. Not
  // after a jump (a drag, Page Up): where it goes next is not known, and a fetch that is
  // not used would only slow the one that is.
  ahead(moment) {
    if (this.last === null || Math.abs(moment - this.last) !== STEP * MINUTE) return;
    const next = moment + Math.sign(moment - this.last) * STEP * MINUTE;
    if (next > this.start && this.end() - next >= SETTLED && !this.kept.has(next)) {
      this.picture(next).catch(() => {});
    }
  }

  async show(moment) {
    this.past = true;
    this.shown = moment;
    document.body.classList.add("is-past");
    this.banner.hidden = false;
    this.text.textContent = t("js.moment.not_live").replace("{time}", localTime(new Date(moment)));
    this.describe();
    this.request?.abort();
    const request = new AbortController();
    this.request = request;
    this.root.setAttribute("aria-busy", "true");
    try {
      const at = new Date(moment).toISOString();
      const picture = await this.picture(moment, request.signal);
      if (this.request !== request || !this.past) return; // the slider has moved on
      this.onShow(picture, moment);
      // Set once drawn: what is on screen is the picture at this moment, at this seq.
      this.root.dataset.at = at;
      this.root.dataset.seq = String(picture.seq);
      this.ahead(moment);
      this.last = moment;
    } catch (error) {
      if (error.name === "AbortError") return;
      this.text.textContent = t("js.moment.failed");
    } finally {
      if (this.request === request) { this.request = null; this.root.removeAttribute("aria-busy"); }
    }
  }

  live() {
    this.request?.abort();
    this.request = null;
    this.root.removeAttribute("aria-busy");
    const wasPast = this.past;
    this.past = false;
    this.shown = null;
    this.last = null;
    document.body.classList.remove("is-past");
    if (this.banner.contains(document.activeElement)) this.range.focus();
    this.banner.hidden = true;
    delete this.root.dataset.at;
    delete this.root.dataset.seq;
    this.range.value = this.range.max;
    this.describe();
    if (wasPast) this.onShow(null, null);
  }
}
