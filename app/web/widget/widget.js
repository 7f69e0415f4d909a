/*
 * <kestrel-chat>: the Kestrel self-care chat widget, a web component on socket.io-client 4.
 *
 * Paste into a page (see README, "The chat widget"):
 *   <script src="https://help.example/widget.js" defer></script>
 *   <kestrel-chat socket-url="https://bot.example" title="Help" accent="#0b5394" lang="en">
 *   </kestrel-chat>
 *
 * It loads socket.io-client from the same place as this file (no CDN, no third party) and speaks
 * the reply contract of docs/DESIGN.md ("Channels and the console"): a reply is
 * {text, buttons?, kestrel?}. What it promises:
 * - no message text is ever parsed as HTML (text nodes only; links are built as elements);
 * - a PIN is typed into a masked field, shown as dots and never written to browser storage;
 * - the conversation survives a reload (a random session id and a copy of the transcript with
 *   PINs already replaced by dots, in localStorage); "Start over" forgets both;
 * - what the customer sends while offline waits in memory and is sent once connected; each message
 *   has an id, so one resent after a dropped connection is handled once (the server checks);
 * - replies sent while it was away are asked for again ("replay" since the last reply's time);
 * - keyboard and screen reader: an aria-live log, named controls, managed focus, Escape closes.
 */
(() => {
  "use strict";

  const SCRIPT_URL = document.currentScript ? document.currentScript.src : location.href;
  const ASSET_BASE = new URL(".", SCRIPT_URL).href;
  const STORAGE_PREFIX = "kestrel-chat:";
  const MAX_STORED_ENTRIES = 200;
  const PIN_DOTS = "••••";

  const STRINGS = {
    en: {
      open: "Chat with us",
      close: "Close chat",
      closeShort: "Close",
      startOver: "Start over",
      input: "Your message",
      pinInput: "Your PIN (hidden as you type)",
      send: "Send",
      you: "You",
      bot: "Kestrel assistant",
      agentSuffix: "Kestrel team",
      typing: "The assistant is typing…",
      connecting: "Connecting…",
      online: "Online",
      offline: "Connection lost. Reconnecting…",
      queued: "Waiting to send",
      quickReplies: "Suggested replies",
      handoff: "Connecting you with a person",
      caseRef: "Case",
      backToBot: "You're back with the automated assistant.",
      pinSent: "PIN sent (hidden)",
      notHandled: "Sorry, that message didn't get through. Please send it again.",
      disclosure:
        "You are chatting with Kestrel's automated assistant, not a person. It can explain your " +
        "bill, fix some billing problems and connect you with a person at any time: just ask.",
    },
    es: {
      open: "Chatea con nosotros",
      close: "Cerrar el chat",
      closeShort: "Cerrar",
      startOver: "Empezar de nuevo",
      input: "Tu mensaje",
      pinInput: "Tu PIN (oculto al escribir)",
      send: "Enviar",
      you: "Tú",
      bot: "Asistente de Kestrel",
      agentSuffix: "equipo de Kestrel",
      typing: "El asistente está escribiendo…",
      connecting: "Conectando…",
      online: "En línea",
      offline: "Sin conexión. Reconectando…",
      queued: "Pendiente de envío",
      quickReplies: "Respuestas sugeridas",
      handoff: "Te estamos conectando con una persona",
      caseRef: "Caso",
      backToBot: "Vuelves a hablar con el asistente automático.",
      pinSent: "PIN enviado (oculto)",
      notHandled: "Lo sentimos, ese mensaje no llegó. Vuelve a enviarlo, por favor.",
      disclosure:
        "Estás hablando con el asistente automático de Kestrel, no con una persona. Puede " +
        "explicarte tu factura, resolver algunos problemas y pasarte con una persona cuando quieras.",
    },
  };

  /** Text with line breaks and http(s) links, built from text nodes only (never innerHTML). */
  function renderText(target, text) {
    const link = /\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)]/g;
    text.split("\n").forEach((line, index) => {
      if (index > 0) target.append(document.createElement("br"));
      let last = 0;
      for (const match of line.matchAll(link)) {
        target.append(line.slice(last, match.index));
        const anchor = document.createElement("a");
        anchor.href = match[0];
        anchor.textContent = match[0];
        anchor.target = "_blank";
        anchor.rel = "noopener noreferrer";
        target.append(anchor);
        last = match.index + match[0].length;
      }
      target.append(line.slice(last));
    });
  }

  /** Black or white, whichever reads better on the operator's colour (WCAG contrast). */
  function readableOn(hex) {
    const match = /^#?([0-9a-f]{6})$/i.exec(hex || "");
    if (!match) return "#ffffff";
    const channel = (offset) => {
      const value = parseInt(match[1].slice(offset, offset + 2), 16) / 255;
      return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
    };
    const luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
    return (1.05) / (luminance + 0.05) >= (luminance + 0.05) / 0.05 ? "#ffffff" : "#111111";
  }

  function timeOf(iso) {
    return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function element(tag, properties = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(properties)) {
      if (key.startsWith("aria-") || key === "role" || key.startsWith("data-")) {
        node.setAttribute(key, value);
      } else {
        node[key] = value;
      }
    }
    node.append(...children);
    return node;
  }

  /** The conversation as kept in localStorage: a session id and the transcript (no PIN). */
  class Memory {
    constructor(key) {
      this.key = STORAGE_PREFIX + key;
    }

    load() {
      try {
        const saved = JSON.parse(localStorage.getItem(this.key) || "null");
        if (saved && typeof saved.sessionId === "string" && Array.isArray(saved.entries)) {
          return saved;
        }
      } catch {
        // unreadable storage: start a new conversation
      }
      return { sessionId: crypto.randomUUID(), entries: [], open: false };
    }

    save(state) {
      const entries = state.entries.slice(-MAX_STORED_ENTRIES);
      try {
        localStorage.setItem(this.key, JSON.stringify({ ...state, entries }));
      } catch {
        // storage full or refused: the conversation goes on, only a reload would lose it
      }
    }

    forget() {
      localStorage.removeItem(this.key);
    }
  }

  class KestrelChat extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      this.strings = STRINGS[this.getAttribute("lang") || "en"] || STRINGS.en;
      this.socketUrl = this.getAttribute("socket-url") || location.origin;
      this.memory = new Memory(this.socketUrl);
      this.state = this.memory.load();
      this.outbox = []; // {id, text, node, resent?}: memory only, so a PIN never reaches storage
      this.inflight = new Map();
      this.expectsPin = false;
      this.confirmed = false;
      this.sentAt = null;
      this.latencies = [];
      this.applyColours();
      this.build();
      this.restore();
      this.loadSocketIo().then(() => this.connect(), () => this.setStatus("offline"));
    }

    disconnectedCallback() {
      if (this.socket) this.socket.close();
    }

    applyColours() {
      const accent = this.getAttribute("accent") || "#0b5394";
      this.style.setProperty("--kc-accent", accent);
      this.style.setProperty("--kc-on-accent", this.getAttribute("accent-text") || readableOn(accent));
    }

    build() {
      const s = this.strings;
      const root = this.attachShadow({ mode: "open" });
      root.append(element("link", { rel: "stylesheet", href: ASSET_BASE + "widget.css" }));
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

    loadSocketIo() {
      if (window.io) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const script = element("script", { src: ASSET_BASE + "vendor/socket.io.min.js" });
        script.addEventListener("load", resolve);
        script.addEventListener("error", reject);
        document.head.append(script);
      });
    }

    connect() {
      this.socket = window.io(this.socketUrl, {
        path: this.getAttribute("socket-path") || "/socket.io",
        reconnectionDelay: 500,
        reconnectionDelayMax: 5000,
        randomizationFactor: 0.5,
      });
      this.socket.on("connect", () => {
        this.socket.emit("session_request", { session_id: this.state.sessionId });
      });
      this.socket.on("session_confirm", () => {
        this.confirmed = true;
        this.setStatus("online");
        this.replay();
        this.flush();
      });
      this.socket.on("session_refused", () => this.newSession());
      this.socket.on("disconnect", (reason) => {
        this.lostConnection();
        // The server closed it (a refused session id): socket.io does not retry that by itself.
        if (reason === "io server disconnect") this.socket.connect();
      });
      this.socket.io.on("reconnect_attempt", () => this.setStatus("offline"));
      this.socket.on("connect_error", () => this.setStatus("offline"));
      this.socket.on("bot_uttered", (reply) => this.receive(reply));
    }

    /** Ask for the replies that came while this page was not listening (none are shown twice). */
    replay() {
      if (typeof this.state.lastBotTime === "number") {
        this.socket.emit("replay", { session_id: this.state.sessionId, since: this.state.lastBotTime });
      }
    }

    lostConnection() {
      this.confirmed = false;
      this.setStatus("offline");
      // Unacknowledged messages go back to the front of the queue, marked as resent: the
      // server drops a repeat (and looks in the conversation's history for these).
      for (const item of this.inflight.values()) item.resent = true;
      this.outbox.unshift(...this.inflight.values());
      this.inflight.clear();
      for (const item of this.outbox) item.node.classList.add("queued");
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
      this.outbox = [];
      this.inflight.clear();
      this.log.replaceChildren();
      this.handoffLine.hidden = true;
      this.setPinMode(false);
      this.showTyping(false);
      this.restore();
      this.memory.save(this.state);
      if (this.socket && this.socket.connected) {
        this.confirmed = false;
        this.socket.emit("session_request", { session_id: this.state.sessionId });
      }
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
      this.outbox.push({ id: crypto.randomUUID(), text, node });
      this.flush();
    }

    flush() {
      if (!this.confirmed) {
        for (const item of this.outbox) item.node.classList.add("queued");
        return;
      }
      while (this.outbox.length > 0) {
        const item = this.outbox.shift();
        item.node.classList.remove("queued");
        this.inflight.set(item.id, item);
        this.sentAt = performance.now();
        this.showTyping(true);
        this.socket.emit("user_uttered", {
          message: item.text, session_id: this.state.sessionId, message_id: item.id,
          resent: Boolean(item.resent),
        }, (ack) => {
          // The acknowledgement comes when the bot's turn is over. For a repeat, the replies went
          // to the connection that was lost: ask for them.
          this.inflight.delete(item.id);
          if (ack && ack.duplicate) this.replay();
          if (ack && ack.ok === false) {
            this.remember({ role: "system", text: this.strings.notHandled, time: new Date().toISOString() });
          }
          if (this.inflight.size === 0) this.showTyping(false);
        });
      }
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
      const s = this.strings;
      const who = {
        user: s.you,
        bot: s.bot,
        agent: `${entry.name || "Agent"} (${s.agentSuffix})`,
        system: "",
      }[entry.role];
      const body = element("div", { className: "text" });
      if (entry.pin) {
        body.append(element("span", { "aria-hidden": "true" }, entry.text),
          element("span", { className: "visually-hidden" }, s.pinSent));
      } else {
        renderText(body, entry.text);
      }
      const item = element("div", { className: `message ${entry.role}` });
      if (who) item.append(element("span", { className: "who" }, who));
      item.append(body, element("time", { dateTime: entry.time }, timeOf(entry.time)));
      if (entry.buttons) item.append(this.renderButtons(entry));
      this.log.append(item);
      this.scrollToEnd();
      return item;
    }

    renderButtons(entry) {
      const group = element("div", {
        className: "choices", role: "group", "aria-label": this.strings.quickReplies,
      });
      for (const button of entry.buttons) {
        const control = element("button", { type: "button", disabled: Boolean(entry.used) },
          button.title);
        control.addEventListener("click", () => {
          entry.used = true;
          this.send(button.payload, button.title);
          this.input.focus();
        });
        group.append(control);
      }
      return group;
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
})();
