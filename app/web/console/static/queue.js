// The queue page: rows kept live from /console/events (server-sent events; the web app has no
// websockets), wait timers that tick every second against the server's clock, and each new case
// announced in the live region, with a short beep and a desktop notification unless turned off.
// Case data only ever goes into textContent: nothing from the server is parsed as HTML.

const STORE_KEY = "kestrel.console.notifications";
const SLA_WORDS = { ok: "", warn: " — due soon", late: " — late" };
const SLA_CLASSES = ["sla-ok", "sla-warn", "sla-late"];

const table = document.getElementById("queue");
const tbody = table ? table.tBodies[0] : null;
const status = document.getElementById("queue-status");
const live = document.getElementById("queue-live");
const toggle = document.getElementById("notify-toggle");

let slaMinutes = table ? Number(table.dataset.slaMinutes) || 10 : 10;
let skewMs = table ? skewFrom(table.dataset.now) : 0;
let audio = null;
const known = new Set(
  tbody ? [...tbody.rows].map((row) => row.dataset.caseId).filter(Boolean) : [],
);

function skewFrom(iso) {
  const server = Date.parse(iso || "");
  return Number.isNaN(server) ? 0 : server - Date.now();
}

function slaState(seconds) {
  const target = slaMinutes * 60;
  if (seconds > target) return "late";
  return seconds >= target / 2 ? "warn" : "ok";
}

function waitText(seconds) {
  const minutes = Math.floor(seconds / 60);
  const rest = String(seconds % 60).padStart(2, "0");
  return `${minutes}:${rest}${SLA_WORDS[slaState(seconds)]}`;
}

function tick() {
  const now = Date.now() + skewMs;
  for (const span of table.querySelectorAll("span.wait")) {
    const since = Date.parse(span.dataset.since || "");
    if (Number.isNaN(since)) continue;
    const until = span.dataset.until ? Date.parse(span.dataset.until) : now;
    const seconds = Math.max(0, Math.floor((until - since) / 1000));
    span.textContent = waitText(seconds);
    span.classList.remove(...SLA_CLASSES);
    span.classList.add(`sla-${slaState(seconds)}`);
  }
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function rowFor(item) {
  const row = document.createElement("tr");
  row.dataset.caseId = item.id;
  row.dataset.reference = item.reference;
  const first = document.createElement("td");
  const link = document.createElement("a");
  link.href = `/console/cases/${encodeURIComponent(item.id)}`;
  link.textContent = item.reference;
  first.append(link);
  const waiting = document.createElement("td");
  const wait = document.createElement("span");
  wait.className = "wait sla-ok";
  wait.dataset.since = item.since;
  if (item.until) wait.dataset.until = item.until;
  waiting.append(wait);
  row.append(
    first,
    cell(item.priority, `priority priority-${String(item.priority).toLowerCase()}`),
    cell(item.customer),
    cell(item.channel),
    cell(item.reason),
    cell(item.proposed, "amount"),
    waiting,
    cell(item.claimed_by || "—"),
  );
  return row;
}

function emptyRow() {
  const row = document.createElement("tr");
  row.className = "empty";
  const only = cell("No open cases.");
  only.colSpan = 8;
  row.append(only);
  return row;
}

function render(cases) {
  // Keep keyboard focus on the same case's link across a re-render.
  const focused = document.activeElement?.closest?.("tr[data-case-id]")?.dataset.caseId;
  const rows = cases.map(rowFor);
  tbody.replaceChildren(...(rows.length ? rows : [emptyRow()]));
  if (focused) {
    const again = [...tbody.rows].find((row) => row.dataset.caseId === focused);
    again?.querySelector("a")?.focus();
  }
  tick();
}

let chosen = null; // the choice when storage is blocked (it then lasts for this page only)

function notificationsOn() {
  try {
    const stored = localStorage.getItem(STORE_KEY);
    if (stored) return stored !== "off";
  } catch {
    // storage blocked: fall back to this page's choice
  }
  return chosen ?? true;
}

function choose(on) {
  chosen = on;
  try {
    localStorage.setItem(STORE_KEY, on ? "on" : "off");
  } catch {
    // storage blocked: remembered for this page only
  }
}

function showToggle() {
  const on = notificationsOn();
  toggle.hidden = false;
  toggle.setAttribute("aria-pressed", String(on));
  toggle.textContent = on ? "Notifications on" : "Notifications off";
}

function unlockAudio() {
  // Browsers start sound only after a click: the toggle's click unlocks it for later beeps.
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return null;
  audio = audio || new Context();
  if (audio.state === "suspended") audio.resume().catch(() => {});
  return audio;
}

function beep() {
  const context = unlockAudio();
  if (!context || context.state !== "running") return;
  const start = context.currentTime;
  const tone = context.createOscillator();
  const gain = context.createGain();
  tone.frequency.value = 880;
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.25);
  tone.connect(gain).connect(context.destination);
  tone.start(start);
  tone.stop(start + 0.3);
}

function notify(item) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const shown = new Notification(`New case ${item.reference}`, {
    body: `${item.priority} priority · ${item.proposed} · ${item.reason}`,
    tag: item.id,
  });
  shown.addEventListener("click", () => {
    window.focus();
    window.location.assign(`/console/cases/${encodeURIComponent(item.id)}`);
  });
}

function announce(fresh) {
  const references = fresh.map((item) => item.reference);
  const words = `New case${references.length > 1 ? "s" : ""} ${references.join(", ")}`;
  status.textContent = "";
  // A fresh text node a moment later, so screen readers announce even a repeated message.
  window.setTimeout(() => {
    status.textContent = words;
  }, 50);
  if (!notificationsOn()) return;
  beep();
  fresh.forEach(notify);
}

function onQueue(event) {
  let data;
  try {
    data = JSON.parse(event.data);
  } catch {
    return;
  }
  if (typeof data.sla_minutes === "number") slaMinutes = data.sla_minutes;
  if (data.now) skewMs = skewFrom(data.now);
  const cases = Array.isArray(data.cases) ? data.cases : [];
  const fresh = cases.filter((item) => !known.has(item.id));
  fresh.forEach((item) => known.add(item.id));
  render(cases);
  if (fresh.length) announce(fresh);
}

function connect() {
  const source = new EventSource(table.dataset.eventsUrl || "/console/events");
  source.addEventListener("queue", onQueue);
  source.addEventListener("open", () => {
    live.textContent = "Live: new cases appear here without reloading.";
  });
  source.addEventListener("error", () => {
    live.textContent =
      source.readyState === EventSource.CLOSED
        ? "Live updates stopped. Reload the page (you may need to sign in again)."
        : "Reconnecting to live updates…";
  });
}

if (table && tbody) {
  tick();
  window.setInterval(tick, 1000);
  if (toggle) {
    showToggle();
    toggle.addEventListener("click", () => {
      const on = !notificationsOn();
      choose(on);
      showToggle();
      if (on) {
        unlockAudio();
        if ("Notification" in window && Notification.permission === "default") {
          Notification.requestPermission().catch(() => {});
        }
      }
    });
  }
  if ("EventSource" in window) connect();
}
