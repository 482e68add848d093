// The pieces every screen is made of, in Telegram's own look: inset grouped sections, rows a
// thumb can hit, hint-coloured headers, pills, fields with their error next to them.
import { html, t, tg, useState, copy, haptic } from "./lib.js";

export function Section({ title, footer, children, flush }) {
  return html`
    <section class=${"section" + (flush ? " flush" : "")}>
      ${title && html`<h2 class="section-title">${title}</h2>`}
      <div class="group">${children}</div>
      ${footer && html`<p class="section-footer">${footer}</p>`}
    </section>`;
}

/** A row: a button when it opens something (with a chevron), plain text otherwise. */
export function Row({ icon, title, subtitle, value, onClick, children, tone, label, testid }) {
  const content = html`
    ${icon && html`<span class="row-icon" aria-hidden="true">${icon}</span>`}
    <span class="row-main">
      <span class=${"row-title" + (tone ? " " + tone : "")}>${title}</span>
      ${subtitle && html`<span class="row-subtitle">${subtitle}</span>`}
      ${children}
    </span>
    ${value !== undefined && value !== null && html`<span class="row-value">${value}</span>`}
    ${onClick && html`<span class="chevron" aria-hidden="true"></span>`}`;
  if (!onClick) return html`<div class="row" data-testid=${testid}>${content}</div>`;
  return html`
    <button type="button" class="row" onClick=${onClick} aria-label=${label} data-testid=${testid}>
      ${content}
    </button>`;
}

const LONG_VALUE = 26; // longer values go under their label, where they have the whole width

/** Label and value, as a card's line ("Price | 2.50 USD"). */
export function InfoRow({ label, value }) {
  if (!label) return html`<div class="row info"><span class="row-title">${value}</span></div>`;
  const stacked = String(value).length > LONG_VALUE;
  return html`
    <div class=${"row info" + (stacked ? " stacked" : "")}>
      <span class="info-label">${label}</span>
      <span class="info-value">${value}</span>
    </div>`;
}

/** A label and a value a tap copies (an account number, a key): "Copied" once it is. `copied`
 * is what goes to the clipboard when it is not the value as shown. */
export function CopyRow({ label, value, copied, mono, testid }) {
  const [done, setDone] = useState(false);
  const stacked = mono || String(value).length > LONG_VALUE;
  return html`
    <button type="button" class=${"row info copyable" + (stacked ? " stacked" : "")}
      data-testid=${testid} onClick=${async () => setDone(await copy(copied || value))}>
      ${label && html`<span class="info-label">${label}</span>`}
      <span class=${"info-value" + (mono ? " mono" : "")}>${done ? t("copied") : value}</span>
    </button>`;
}

export function Skeleton({ rows = 6, title = true }) {
  const lines = [];
  for (let i = 0; i < rows; i += 1) {
    lines.push(html`
      <div class="row skeleton-row" aria-hidden="true">
        <span class="row-main">
          <span class=${"bar w" + (i % 4)}></span>
          <span class="bar short"></span>
        </span>
      </div>`);
  }
  return html`
    <div class="skeleton" aria-busy="true" aria-label="…">
      ${title && html`<div class="section-title bar tiny"></div>`}
      <div class="section"><div class="group">${lines}</div></div>
    </div>`;
}

export function Badges({ badges }) {
  if (!badges || !badges.length) return null;
  return html`
    <span class="badges">
      ${badges.map((badge) => html`<span class=${"badge " + badge}>${t(badge)}</span>`)}
    </span>`;
}

export function Pill({ tone, children }) {
  return html`<span class=${"pill " + tone}>${children}</span>`;
}

/** Text with the searched words marked (as text, never as HTML). Case and accents are
 * ignored as the server's search ignores them. */
export function Highlight({ text, terms }) {
  const words = (terms || "").split(" ").filter((word) => word.length > 0);
  if (!words.length) return text;
  const fold = (c) => c.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  const chars = Array.from(text);
  const folded = chars.map(fold);
  const marked = new Array(chars.length).fill(false);
  const joined = folded.join("");
  const starts = [];
  let offset = 0;
  folded.forEach((piece) => { starts.push(offset); offset += piece.length; });
  for (const word of words) {
    let at = joined.indexOf(word);
    while (at !== -1) {
      for (let i = 0; i < chars.length; i += 1) {
        if (starts[i] >= at && starts[i] < at + word.length) marked[i] = true;
      }
      at = joined.indexOf(word, at + word.length);
    }
  }
  const parts = [];
  let current = "";
  let mark = marked[0];
  chars.forEach((char, i) => {
    if (marked[i] !== mark) {
      parts.push(mark ? html`<mark>${current}</mark>` : current);
      current = "";
      mark = marked[i];
    }
    current += char;
  });
  parts.push(mark ? html`<mark>${current}</mark>` : current);
  return parts;
}

export function Field({ id, label, hint, error, children }) {
  return html`
    <div class=${"field" + (error ? " invalid" : "")}>
      <label class="field-label" for=${id}>${label}</label>
      ${children}
      ${error
        ? html`<p class="field-error" id=${id + "-error"} role="alert">${error}</p>`
        : hint && html`<p class="field-hint" id=${id + "-hint"}>${hint}</p>`}
    </div>`;
}

/** An on/off row (Telegram's switch), a whole row to tap. */
export function Switch({ id, label, checked, disabled, onChange }) {
  return html`
    <label class="row switch-row" for=${id}>
      <span class="row-main"><span class="row-title">${label}</span></span>
      <input id=${id} type="checkbox" role="switch" checked=${checked} disabled=${disabled}
        onChange=${(event) => {
          haptic("select");
          onChange(event.currentTarget.checked);
        }} />
    </label>`;
}

/** A question asked in place before what cannot be undone (a cancel, a new key): yes or no. */
export function Ask({ id, question, yes, tone, onYes, no, onNo, busy, testid }) {
  return html`
    <div class="sheet" role="dialog" aria-modal="true" aria-labelledby=${id}>
      <p id=${id} class="pre">${question}</p>
      <div class="actions">
        <${Button} tone=${tone} disabled=${busy} onClick=${onYes} testid=${testid}>${yes}</${Button}>
        <${Button} tone="plain" onClick=${onNo}>${no}</${Button}>
      </div>
    </div>`;
}

export function Notice({ tone, children, role }) {
  return html`<div class=${"notice " + (tone || "")} role=${role || "status"}>${children}</div>`;
}

export function Button({ onClick, children, tone, disabled, testid }) {
  return html`
    <button type="button" class=${"button " + (tone || "")} onClick=${onClick}
      disabled=${disabled} data-testid=${testid}>${children}</button>`;
}

/** One calm screen instead of the page: open again from the bot, suspended, no connection. */
export function Calm({ icon, title, text, action, onAction }) {
  return html`
    <main class="calm" role="alert">
      <div class="calm-icon" aria-hidden="true">${icon}</div>
      <h1 class="calm-title">${title}</h1>
      ${text && html`<p class="calm-text">${text}</p>`}
      ${action && html`<${Button} onClick=${onAction} testid="calm-action">${action}</${Button}>`}
    </main>`;
}

export function closeApp() {
  if (tg) tg.close();
}

export function Title({ children, sub }) {
  return html`
    <header class="title">
      <h1>${children}</h1>
      ${sub && html`<p class="title-sub">${sub}</p>`}
    </header>`;
}
