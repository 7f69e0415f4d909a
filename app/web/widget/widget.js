/*
 * <kestrel-chat>: the Kestrel self-care chat widget, a web component on socket.io-client 4.
 *
 * Paste into a page (see README, "The chat widget"):
 *   <script type="module" src="https://help.example/widget.js"></script>
 *   <kestrel-chat socket-url="https://bot.example" title="Help" accent="#0b5394" lang="en">
 *   </kestrel-chat>
 *
 * An ES module: its parts (widget/*.js), its styles and socket.io-client come from the same place
 * as this file (no CDN, no third party). It speaks the reply contract of docs/DESIGN.md
 * ("Channels and the console"): a reply is {text, buttons?, kestrel?, time?}. What it promises:
 * - no message text is ever parsed as HTML (text nodes only; links are built as elements);
 * - a PIN is typed into a masked field, shown as dots and never written to browser storage;
 * - the conversation survives a reload (a random session id and a copy of the transcript with
 *   PINs already replaced by dots, in localStorage); "Start over" forgets both;
 * - what the customer sends while offline waits in memory and is sent once connected; each message
 *   has an id, so one resent after a dropped connection is handled once (the server checks);
 * - replies sent while it was away are asked for again ("replay" since the last reply's time);
 * - keyboard and screen reader: an aria-live log, named controls, managed focus, Escape closes.
 */
import { Connection } from "./widget/connection.js";
import { element, readableOn } from "./widget/dom.js";
import { Memory } from "./widget/memory.js";
import { messageNode } from "./widget/message.js";
import { STRINGS } from "./widget/strings.js";

const STYLESHEET = new URL("widget.css", import.meta.url).href;
const PIN_DOTS = "••••";

class KestrelChat extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    this.strings = STRINGS[this.getAttribute("lang") || "en"] || STRINGS.en;
    this.socketUrl = this.getAttribute("socket-url") || location.origin;
    this.memory = new Memory(this.socketUrl);
    this.state = this.memory.load();
    this.expectsPin = false;
    this.sentAt = null;
    this.latencies = [];
    this.applyColours();
    this.build();
    this.restore();
    this.connect();
  }

  disconnectedCallback() {
    if (this.connection) this.connection.close();
  }

  applyColours() {
    const accent = this.getAttribute("accent") || "#0b5394";
    this.style.setProperty("--kc-accent", accent);
    this.style.setProperty("--kc-on-accent", this.getAttribute("accent-text") || readableOn(accent));
  }

  build() {
    const s = this.strings;
    const root = this.attachShadow({ mode: "open" });
    root.append(element("link", { rel: "stylesheet", href: STYLESHEET }));
    const title = this.getAttribute("title") || "Kestrel Mobile help";
    this.removeAttribute("title"); // else the browser shows it as a tooltip over the page

    this.launcher = element("button", {
      className: "launcher", type: "button", "aria-expanded": "false",
      "aria-controls": "kc-panel",
    }, s.open);
    this.launcher.addEventListener("click", () => this.open());

    this.statusLine = element("p", { className: "status", role: "status" }, s.connecting);
    this.handoffLine = element("p", { className: "handoff", role: "status", hidden: true });
    // Visible words that the accessible name contains (WCAG 2.5.3), not a bare "✕".
    this.closeButton = element("button", {
      className: "text", type: "button", "aria-label": s.close,
    }, s.closeShort);
    this.closeButton.addEventListener("click", () => this.close());
    this.startOverButton = element("button", { className: "text", type: "button" }, s.startOver);
    this.startOverButton.addEventListener("click", () => this.startOver());
    const heading = element("h2", { id: "kc-title" }, title);
    // Not a <header>: inside the page's own landmarks it would be a second banner.
    const header = element("div", { className: "header" },
      element("div", { className: "titles" }, heading, this.statusLine),
      this.startOverButton, this.closeButton);

    this.log = element("div", {
      className: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
      "aria-label": title, tabIndex: 0,
    });
    this.typing = element("p", { className: "typing", hidden: true, role: "status" },
      element("span", { className: "dots", "aria-hidden": "true" }, "•••"),
      element("span", { className: "visually-hidden" }, s.typing));

    this.label = element("label", { htmlFor: "kc-input", className: "visually-hidden" }, s.input);
    this.input = element("input", {
      id: "kc-input", type: "text", autocomplete: "off", maxLength: 2000,
      placeholder: s.input,
    });
    this.sendButton = element("button", { type: "submit", className: "send" }, s.send);
    this.form = element("form", { className: "composer" }, this.label, this.input,
      this.sendButton);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submitTyped();
    });

    this.panel = element("section", {
      id: "kc-panel", className: "panel", role: "dialog", "aria-labelledby": "kc-title",
      hidden: true,
    }, header, this.handoffLine, this.log, this.typing, this.form);
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.close();
    });
    root.append(this.launcher, this.panel);
    if (this.state.open) this.open(false);
  }

  restore() {
    if (this.state.entries.length === 0) {
      this.remember({ role: "system", text: this.strings.disclosure, time: new Date().toISOString() });
    } else {
      for (const entry of this.state.entries) this.render(entry);
    }
    const last = this.state.entries.at(-1);
    if (last && last.role === "bot" && last.expects === "pin") this.setPinMode(true);
    if (typeof this.state.handoff === "string") this.showHandoff(this.state.handoff);
  }

  connect() {
    this.connection = new Connection({
      url: this.socketUrl,
      path: this.getAttribute("socket-path") || "/socket.io",
      session: () => this.state,
      on: {
        status: (status) => this.setStatus(status),
        reply: (reply) => this.receive(reply),
        queued: (item, queued) => item.node.classList.toggle("queued", queued),
        sending: () => {
          this.sentAt = performance.now();
          this.showTyping(true);
        },
        idle: () => this.showTyping(false),
        notHandled: () => this.remember({
          role: "system", text: this.strings.notHandled, time: new Date().toISOString(),
        }),
        refused: () => this.newSession(),
      },
    });
  }

  setStatus(status) {
    this.status = status;
    this.statusLine.textContent = this.strings[status];
    this.panel.dataset.connection = status;
  }

  open(focus = true) {
    this.panel.hidden = false;
    this.launcher.hidden = true;
    this.launcher.setAttribute("aria-expanded", "true");
    this.state.open = true;
    this.memory.save(this.state);
    this.scrollToEnd();
    if (focus) this.input.focus();
  }

  close() {
    this.panel.hidden = true;
    this.launcher.hidden = false;
    this.launcher.setAttribute("aria-expanded", "false");
    this.state.open = false;
    this.memory.save(this.state);
    this.launcher.focus();
  }

  newSession() {
    this.memory.forget();
    this.state = { sessionId: crypto.randomUUID(), entries: [], open: !this.panel.hidden };
    this.log.replaceChildren();
    this.handoffLine.hidden = true;
    this.setPinMode(false);
    this.showTyping(false);
    this.restore();
    this.memory.save(this.state);
    if (this.connection) this.connection.restart();
  }

  startOver() {
    this.newSession();
    this.input.focus();
  }

  submitTyped() {
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = "";
    const shown = this.expectsPin ? PIN_DOTS : text;
    this.send(text, shown);
  }

  send(text, shown) {
    this.disableButtons();
    const entry = { role: "user", text: shown, time: new Date().toISOString() };
    if (this.expectsPin) entry.pin = true;
    this.setPinMode(false);
    const node = this.remember(entry);
    this.connection.send({ id: crypto.randomUUID(), text, node });
  }

  receive(reply) {
    if (!reply || typeof reply !== "object") return;
    const kestrel = reply.kestrel && typeof reply.kestrel === "object" ? reply.kestrel : {};
    const fromAgent = kestrel.from === "agent";
    const sent = typeof reply.time === "number" ? reply.time : null;
    if (sent !== null && sent <= (this.state.lastBotTime ?? -Infinity)) return; // already shown
    if (sent !== null) this.state.lastBotTime = sent;
    const entry = {
      role: fromAgent ? "agent" : "bot",
      text: typeof reply.text === "string" ? reply.text : "",
      time: new Date(sent !== null ? sent * 1000 : Date.now()).toISOString(),
    };
    if (fromAgent) entry.name = String(kestrel.name || "");
    if (Array.isArray(reply.buttons) && reply.buttons.length > 0) {
      entry.buttons = reply.buttons.map((b) => ({ title: String(b.title), payload: String(b.payload) }));
    }
    if (kestrel.expects === "pin") entry.expects = "pin";
    if (kestrel.state === "handoff") this.showHandoff(String(kestrel.case || ""));
    if (kestrel.state === "bot") this.backToBot();
    if (entry.text || entry.buttons) this.remember(entry);
    else this.memory.save(this.state);
    this.setPinMode(entry.expects === "pin");
    if (this.sentAt !== null) {
      this.latencies.push(performance.now() - this.sentAt);
      this.sentAt = null;
      this.dispatchEvent(new CustomEvent("kestrel-chat:reply", { detail: this.latencies.at(-1) }));
    }
  }

  showHandoff(reference) {
    this.handoffLine.replaceChildren(this.strings.handoff);
    if (reference) this.handoffLine.append(` · ${this.strings.caseRef} ${reference}`);
    this.handoffLine.hidden = false;
    this.state.handoff = reference;
    this.memory.save(this.state);
  }

  backToBot() {
    this.handoffLine.hidden = true;
    delete this.state.handoff;
    this.remember({ role: "system", text: this.strings.backToBot, time: new Date().toISOString() });
  }

  setPinMode(on) {
    this.expectsPin = on;
    this.input.type = on ? "password" : "text";
    this.input.inputMode = on ? "numeric" : "text";
    this.input.placeholder = on ? this.strings.pinInput : this.strings.input;
    this.label.textContent = on ? this.strings.pinInput : this.strings.input;
  }

  showTyping(on) {
    this.typing.hidden = !on;
    if (on) this.scrollToEnd();
  }

  /** Show an entry and keep it in the stored transcript (entries never hold a PIN). */
  remember(entry) {
    this.state.entries.push(entry);
    this.memory.save(this.state);
    return this.render(entry);
  }

  render(entry) {
    const item = messageNode(entry, this.strings, (button) => {
      entry.used = true;
      this.send(button.payload, button.title);
      this.input.focus();
    });
    this.log.append(item);
    this.scrollToEnd();
    return item;
  }

  disableButtons() {
    for (const entry of this.state.entries) if (entry.buttons) entry.used = true;
    for (const control of this.log.querySelectorAll(".choices button")) control.disabled = true;
  }

  scrollToEnd() {
    this.log.scrollTop = this.log.scrollHeight;
  }
}

if (!customElements.get("kestrel-chat")) customElements.define("kestrel-chat", KestrelChat);
