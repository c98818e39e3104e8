// The live stream of one topic: snapshot, then merge patches, each applied only when its
// seq follows the last one applied. A repeat is ignored; a gap (a frame lost on the way)
// asks again with `since`, as after a drop, so nothing is missed and nothing applied twice.

import { mergePatch } from "./common.js";

const LOOK_BACK_WAIT = 3000; // ms a look back may take before it is asked over HTTP

export class LiveTopic {
  constructor(topic, { onPicture, onState, probe }) {
    this.probe = probe;         // a URL that answers 401 once the session has ended
    this.topic = topic;
    this.onPicture = onPicture; // (picture, changedPatch|null, event|null)
    this.onState = onState;     // ("connecting"|"live"|"reconnecting"|"ended", info)
    this.picture = null;
    this.delay = 500;
    this.stopped = false;
    this.lastLive = null;
    this.asked = false;         // asked again after a gap; what was missed is on its way
    this.refs = 0;              // the last `ref` given to a look back
    this.looking = new Map();   // ref → { resolve, reject, at, start } of those unanswered
    this.connect();
    window.addEventListener("online", () => this.retryNow());
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/api/v1/stream`;
  }

  connect() {
    this.onState(this.picture ? "reconnecting" : "connecting", this.lastLive);
    const socket = new WebSocket(this.url());
    this.socket = socket;
    this.asked = false;
    socket.addEventListener("open", () => {
      const frame = { type: "subscribe", topic: this.topic };
      if (this.picture) frame.since = this.picture.seq;
      socket.send(JSON.stringify(frame));
      // Resumed: what was missed (if anything) follows in order; with nothing missed the
      // server sends nothing, and the picture we hold is current.
      if (this.picture) this.live();
    });
    socket.addEventListener("message", (message) => this.receive(JSON.parse(message.data)));
    socket.addEventListener("close", (close) => this.closed(close));
  }

  // The picture as it stood at `at` (an ISO time), asked over this socket: the server's
  // answer to `GET …/picture?at=`, without a request of its own. Rejects when the socket
  // is not live or closes first, on an error, or when a later look back is answered
  // first (the server passed this one over); the caller can then ask over HTTP.
  lookBack(at, signal) {
    if (!this.picture || this.stopped || this.socket?.readyState !== WebSocket.OPEN) {
      return Promise.reject(new Error("not live"));
    }
    const ref = ++this.refs;
    const start = performance.now();
    return new Promise((resolve, reject) => {
      const settle = (outcome) => (value) => {
        clearTimeout(timer);
        outcome(value);
      };
      // A server that does not answer (one that does not know look backs, while an
      // upgrade is under way) must not leave the slider waiting: ask over HTTP instead.
      const timer = setTimeout(() => this.refuse(ref, new Error("not answered")), LOOK_BACK_WAIT);
      this.looking.set(ref, { resolve: settle(resolve), reject: settle(reject), at, start });
      signal?.addEventListener("abort",
        () => this.refuse(ref, new DOMException("aborted", "AbortError")), { once: true });
      this.socket.send(JSON.stringify({ type: "moment", topic: this.topic, at, ref }));
    });
  }

  // Look back `ref` fails with `error`, if it still waits.
  refuse(ref, error) {
    const found = this.looking.get(ref);
    this.looking.delete(ref);
    found?.reject(error);
  }

  // The answer to look back `ref`: the ones before it still waiting were passed over.
  answered(ref, settle) {
    for (const waiting of [...this.looking.keys()]) {
      if (waiting < ref) this.refuse(waiting, new Error("passed over"));
    }
    const found = this.looking.get(ref);
    this.looking.delete(ref);
    if (found) settle(found);
  }

  receive(frame) {
    if (frame.type === "moment" && frame.topic === this.topic) {
      this.answered(frame.ref, ({ resolve, at, start }) => {
        resolve(frame.picture);
        // Asked → answered, for the browser's performance tools (and the benchmark); a
        // browser without measure options throws, and the answer is given already.
        try { performance.measure("look-back", { start, detail: { at } }); } catch { /* none */ }
      });
    } else if (frame.type === "error" && frame.ref !== undefined) {
      // An error that answers one look back: the topic goes on.
      this.answered(frame.ref, ({ reject }) => reject(new Error(frame.message)));
    } else if (frame.type === "snapshot" && frame.topic === this.topic) {
      this.picture = frame.picture;
      this.asked = false;
      this.live();
      this.onPicture(this.picture, null, null);
    } else if (frame.type === "event" && frame.topic === this.topic && this.picture) {
      if (frame.seq <= this.picture.seq) return; // already applied
      if (frame.seq !== this.picture.seq + 1) { this.askAgain(); return; }
      this.asked = false;
      this.picture = mergePatch(this.picture, frame.patch);
      this.picture.seq = frame.seq;
      this.live();
      this.onPicture(this.picture, frame.patch, frame.event);
    } else if (frame.type === "error" && frame.code !== "resync" && frame.topic === this.topic) {
      // An error without a topic is about a frame the server could not read (one that a
      // later version sends): that frame was lost, the subscription goes on.
      this.stopped = true;
      this.onState("ended", frame.message);
    }
  }

  // A frame is missing: subscribe again from the last seq applied. The server replays
  // what follows it (or sends a snapshot); frames already in flight behind the gap are
  // passed over until the missing one arrives, without asking once more for each.
  askAgain() {
    if (this.asked || this.socket?.readyState !== WebSocket.OPEN) return;
    this.asked = true;
    this.socket.send(JSON.stringify({ type: "subscribe", topic: this.topic, since: this.picture.seq }));
  }

  live() {
    this.delay = 500;
    this.lastLive = new Date();
    this.onState("live", this.lastLive);
  }

  closed(close) {
    for (const ref of [...this.looking.keys()]) this.refuse(ref, new Error("closed"));
    if (this.stopped) return;
    if (close.code === 4001 || close.code === 1008) {
      this.stopped = true;
      this.onState("ended", "session");
      return;
    }
    this.onState("reconnecting", this.lastLive);
    if (this.probe && close.code === 1006) {
      fetch(this.probe, { credentials: "same-origin" }).then((response) => {
        if (response.status === 401) {
          this.stopped = true;
          clearTimeout(this.timer);
          this.onState("ended", "session");
        }
      }, () => {});
    }
    const wait = this.delay * (0.5 + Math.random());
    this.delay = Math.min(this.delay * 2, 15000);
    this.timer = setTimeout(() => this.connect(), wait);
  }

  retryNow() {
    if (this.stopped || !this.socket || this.socket.readyState !== WebSocket.CLOSED) return;
    clearTimeout(this.timer);
    this.connect();
  }
}
