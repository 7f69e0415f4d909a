// One transcript entry as a node: who said it, the words (text nodes only), when, and its
// quick-reply buttons.
import { element, renderText, timeOf } from "./dom.js";

function speaker(entry, strings) {
  return {
    user: strings.you,
    bot: strings.bot,
    agent: `${entry.name || "Agent"} (${strings.agentSuffix})`,
    system: "",
  }[entry.role];
}

function choiceButtons(entry, strings, choose) {
  const group = element("div", {
    className: "choices", role: "group", "aria-label": strings.quickReplies,
  });
  for (const button of entry.buttons) {
    const control = element("button", { type: "button", disabled: Boolean(entry.used) },
      button.title);
    control.addEventListener("click", () => choose(button));
    group.append(control);
  }
  return group;
}

/** @param choose called with the {title, payload} of the button pressed */
export function messageNode(entry, strings, choose) {
  const body = element("div", { className: "text" });
  if (entry.pin) {
    body.append(element("span", { "aria-hidden": "true" }, entry.text),
      element("span", { className: "visually-hidden" }, strings.pinSent));
  } else {
    renderText(body, entry.text);
  }
  const item = element("div", { className: `message ${entry.role}` });
  const who = speaker(entry, strings);
  if (who) item.append(element("span", { className: "who" }, who));
  item.append(body, element("time", { dateTime: entry.time }, timeOf(entry.time)));
  if (entry.buttons) item.append(choiceButtons(entry, strings, choose));
  return item;
}
