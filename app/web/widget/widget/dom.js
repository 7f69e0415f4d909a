// Building the widget's DOM: text nodes only, so no message is ever parsed as HTML.

/** Text with line breaks and http(s) links, built from text nodes only (never innerHTML). */
export function renderText(target, text) {
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
export function readableOn(hex) {
  const match = /^#?([0-9a-f]{6})$/i.exec(hex || "");
  if (!match) return "#ffffff";
  const channel = (offset) => {
    const value = parseInt(match[1].slice(offset, offset + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
  return (1.05) / (luminance + 0.05) >= (luminance + 0.05) / 0.05 ? "#ffffff" : "#111111";
}

export function timeOf(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function element(tag, properties = {}, ...children) {
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
