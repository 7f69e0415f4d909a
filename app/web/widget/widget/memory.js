// What survives a reload: the session id and a copy of the transcript (PINs already dots).

const STORAGE_PREFIX = "kestrel-chat:";
const MAX_STORED_ENTRIES = 200;

/** The conversation as kept in localStorage: a session id and the transcript (no PIN). */
export class Memory {
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
