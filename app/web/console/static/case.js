// The case page, live: the conversation polled every second from transcript.json (the
// customer's messages appear as they type them), replies sent without leaving the page, and a
// reload when the case itself changes (verified, claimed, decided elsewhere), unless the person
// is typing, in which case they are told and choose when. Text only ever goes into textContent.

const POLL_MS = 1000;
const HIDDEN_POLL_MS = 5000; // a background tab asks less often
const root = document.getElementById("case");

function speakerLabel(turn) {
  if (turn.speaker === "customer") return "Customer";
  if (turn.speaker === "agent") return `${turn.name || "Agent"} (agent)`;
  return "Bot";
}

function turnItem(turn) {
  const item = document.createElement("li");
  item.className = `turn ${["customer", "bot", "agent"].includes(turn.speaker) ? turn.speaker : "bot"}`;
  const who = document.createElement("span");
  who.className = "speaker";
  who.textContent = speakerLabel(turn);
  const when = document.createElement("time");
  when.dateTime = turn.at || "";
  when.textContent = turn.time || "";
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = turn.text;
  item.append(who, " ", when, " ", text);
  return item;
}

function sameTurn(item, turn) {
  return item.querySelector(".text")?.textContent === turn.text &&
    item.classList.contains(turn.speaker);
}

function renderTurns(list, turns) {
  const items = [...list.children];
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 48;
  const extends_ = turns.length >= items.length && items.every((item, i) => sameTurn(item, turns[i]));
  if (extends_) {
    // Only the new lines are added, so the live region announces just those.
    turns.slice(items.length).forEach((turn) => list.append(turnItem(turn)));
  } else {
    list.replaceChildren(...turns.map(turnItem));
  }
  if (nearBottom) list.scrollTop = list.scrollHeight;
}

function typing() {
  const fields = root.querySelectorAll("textarea, input[type='text']");
  return [...fields].some((field) => field.value.trim() !== "" || field === document.activeElement);
}

function start() {
  const url = root.dataset.transcriptUrl;
  const state = root.dataset.state;
  const list = document.getElementById("transcript");
  const line = document.getElementById("transcript-status");
  const changed = document.getElementById("case-changed");
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  let told = false;
  // A form the browser is sending (approve, reject, claim...) is a navigation under way: reloading
  // now would cancel it, and its answer's notice with it, although the server made the change.
  let leaving = false;
  document.addEventListener("submit", (event) => {
    if (!event.defaultPrevented) leaving = true; // the reply form sends itself by fetch
  });

  // A refused form renders the page at the form's URL: show the case's own, so that reloading
  // (or the reload below) asks for the page instead of posting the form again.
  const caseUrl = root.dataset.caseUrl || window.location.pathname;
  if (window.location.pathname !== caseUrl) window.history.replaceState(null, "", caseUrl);
  const reload = () => window.location.replace(caseUrl); // an old action's notice goes too

  if (list) list.scrollTop = list.scrollHeight;
  document.getElementById("case-reload")?.addEventListener("click", reload);

  function caseChanged() {
    if (told || leaving) return;
    if (!typing()) {
      reload();
      return;
    }
    told = true;
    if (changed) changed.hidden = false;
  }

  async function poll() {
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      const body = await response.json().catch(() => ({}));
      if (response.status === 401) {
        window.location.assign(body.login || "/console/login");
        return;
      }
      if (!response.ok) {
        if (line) line.textContent = body.error || `The case could not be refreshed (${response.status}).`;
      } else {
        if (list && Array.isArray(body.turns) && !body.error) renderTurns(list, body.turns);
        if (line) {
          line.textContent = body.error ||
            (body.paused ? "The bot is paused while a person holds this case." : "");
        }
        if (body.state && body.state !== state) caseChanged();
      }
    } catch {
      if (line) line.textContent = "The console is unreachable: retrying…";
    }
    window.setTimeout(poll, document.hidden ? HIDDEN_POLL_MS : POLL_MS);
  }

  const form = document.getElementById("reply-form");
  if (form) {
    const box = document.getElementById("reply-text");
    const send = form.querySelector("button[type='submit']");
    let problem = null; // made on the first failure, so the page has no empty alert in it
    const fail = (message) => {
      if (!problem) {
        problem = document.createElement("p");
        problem.id = "reply-error";
        problem.className = "reply-error alert alert-error";
        problem.setAttribute("role", "alert");
        send.before(problem);
      }
      problem.textContent = message;
    };
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!box.value.trim()) {
        fail("Type a reply first.");
        return;
      }
      send.disabled = true;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          headers: { Accept: "application/json", "X-CSRF-Token": csrf },
          credentials: "same-origin",
        });
        const body = await response.json().catch(() => ({}));
        if (response.ok) {
          box.value = "";
          problem?.remove();
          problem = null;
        } else if (response.status === 401) {
          window.location.assign(body.login || "/console/login");
        } else {
          fail(body.error || `Not sent (${response.status}).`);
        }
      } catch {
        fail("Not sent: the console is unreachable. Try again.");
      } finally {
        send.disabled = false;
        box.focus();
      }
    });
  }

  poll();
}

if (root && root.dataset.transcriptUrl) start();
