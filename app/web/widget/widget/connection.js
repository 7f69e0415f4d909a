// The widget's socket.io connection: one session, an outbox sent exactly once, and the replies
// missed while away asked for again. The protocol is in docs/DESIGN.md ("The widget's socket.io
// protocol"); the server side is bot/channels/socketio.py.
import { io } from "../vendor/socket.io.esm.min.js";

export class Connection {
  /**
   * @param {object} options
   * @param {string} options.url Rasa's socket.io (or a proxy in front of it)
   * @param {string} options.path socket.io path
   * @param {() => {sessionId: string, lastBotTime?: number}} options.session the conversation now
   * @param {object} options.on callbacks: status(name), reply(reply), queued(item, isQueued),
   *   sending(), idle(), notHandled(item), refused()
   */
  constructor({ url, path, session, on }) {
    this.session = session;
    this.on = on;
    this.outbox = []; // {id, text, resent?, ...}: memory only, so a PIN never reaches storage
    this.inflight = new Map();
    this.confirmed = false;
    this.socket = io(url, {
      path,
      // Sent on every request of this connection: a load balancer in front of several Rasa
      // replicas hashes on it to keep polling and upgrade on one replica (deploy/nginx.conf.template).
      // Random, not the session id: that would join the conversation, and URLs end up in logs.
      query: { lb: crypto.randomUUID() },
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      randomizationFactor: 0.5,
    });
    this.socket.on("connect", () => this.requestSession());
    this.socket.on("session_confirm", () => {
      this.confirmed = true;
      on.status("online");
      this.replay();
      this.flush();
    });
    this.socket.on("session_refused", () => on.refused());
    this.socket.on("disconnect", (reason) => {
      this.lost();
      // The server closed it (a refused session id): socket.io does not retry that by itself.
      if (reason === "io server disconnect") this.socket.connect();
    });
    this.socket.io.on("reconnect_attempt", () => on.status("offline"));
    this.socket.on("connect_error", () => on.status("offline"));
    this.socket.on("bot_uttered", (reply) => on.reply(reply));
  }

  requestSession() {
    this.socket.emit("session_request", { session_id: this.session().sessionId });
  }

  /** A new conversation on the same socket ("start over"): what was waiting is dropped. */
  restart() {
    this.outbox = [];
    this.inflight.clear();
    if (this.socket.connected) {
      this.confirmed = false;
      this.requestSession();
    }
  }

  send(item) {
    this.outbox.push(item);
    this.flush();
  }

  flush() {
    if (!this.confirmed) {
      for (const item of this.outbox) this.on.queued(item, true);
      return;
    }
    while (this.outbox.length > 0) {
      const item = this.outbox.shift();
      this.on.queued(item, false);
      this.inflight.set(item.id, item);
      this.on.sending();
      this.socket.emit("user_uttered", {
        message: item.text, session_id: this.session().sessionId, message_id: item.id,
        resent: Boolean(item.resent),
      }, (ack) => this.acknowledged(item, ack));
    }
  }

  /** The acknowledgement comes when the bot's turn is over. For a repeat, the replies went to
   * the connection that was lost: ask for them. */
  acknowledged(item, ack) {
    this.inflight.delete(item.id);
    if (ack && ack.duplicate) this.replay();
    if (ack && ack.ok === false) this.on.notHandled(item);
    if (this.inflight.size === 0) this.on.idle();
  }

  /** Ask for the replies that came while this page was not listening (none are shown twice). */
  replay() {
    const { sessionId, lastBotTime } = this.session();
    if (typeof lastBotTime === "number") {
      this.socket.emit("replay", { session_id: sessionId, since: lastBotTime });
    }
  }

  lost() {
    this.confirmed = false;
    this.on.status("offline");
    // Unacknowledged messages go back to the front of the queue, marked as resent: the server
    // drops a repeat (and looks in the conversation's history for these).
    for (const item of this.inflight.values()) item.resent = true;
    this.outbox.unshift(...this.inflight.values());
    this.inflight.clear();
    for (const item of this.outbox) this.on.queued(item, true);
  }

  close() {
    this.socket.close();
  }
}
