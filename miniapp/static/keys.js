// The person's key for the shop's API v2, as the chat's /api has it: the endpoint, the key (in
// full once, right after it is made; its hint afterwards), a new key or none (each asked first),
// whether API orders are told in the chat too, and where status callbacks go.
import { html, t, api, useState, useLoad, useMainButton, haptic } from "./lib.js";
import {
  Section, InfoRow, CopyRow, Skeleton, Field, Notice, Title, Button, Switch, Ask,
} from "./ui.js";

/** The key and the callbacks' secret, on the screen that made them: never sent again. */
function ShownOnce({ made }) {
  return html`
    <${Section} footer=${made.warning}>
      <div class="row"><span class="row-title strong">${made.title}</span></div>
      <${CopyRow} value=${made.key} mono testid="new-key" />
      <${CopyRow} label=${made.secret_label} value=${made.secret} mono testid="new-secret" />
    </${Section}>`;
}

function Callbacks({ saved, busy, error, save }) {
  const [typed, setTyped] = useState(saved);
  const described = error ? "callback-error" : "callback-hint";
  return html`
    <${Section}>
      <div class="form">
        <${Field} id="callback" label=${t("callbacks")} hint=${t("callbacks_hint")} error=${error}>
          <input id="callback" type="url" inputmode="url" autocomplete="off" autocapitalize="off"
            spellcheck="false" placeholder="https://" value=${typed}
            aria-invalid=${error ? "true" : "false"} aria-describedby=${described}
            onInput=${(event) => setTyped(event.currentTarget.value)} />
        </${Field}>
      </div>
      <div class="actions">
        <${Button} tone="plain" disabled=${busy || typed.trim() === saved} testid="save-callback"
          onClick=${() => save(typed.trim())}>${t("save")}</${Button}>
      </div>
    </${Section}>`;
}

export function KeysScreen() {
  const loaded = useLoad("/keys");
  const [screen, setScreen] = useState(null); // what the last change answered
  const [made, setMade] = useState(null);
  const [asking, setAsking] = useState(null); // "replace" or "revoke"
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState(null);
  const [urlError, setUrlError] = useState(null);
  const shown = screen || loaded.data;
  const change = async (path, body) => {
    setBusy(true);
    setNotice(null);
    setUrlError(null);
    const reply = await api(path, body);
    setBusy(false);
    setAsking(null);
    if (!reply.ok) {
      haptic("error");
      if (reply.body.errors && reply.body.errors.url) setUrlError(reply.body.errors.url);
      else setNotice({ tone: "error", text: reply.body.message });
      return;
    }
    haptic("success");
    const { new: created, message, ...next } = reply.body;
    setScreen(next);
    if (created) setMade(created);
    if (!next.has_key) setMade(null);
    if (message) setNotice({ tone: "success", text: message });
  };
  const allowed = Boolean(shown && shown.access === "allowed");
  useMainButton({
    text: allowed && !shown.has_key ? t("create_key") : "",
    visible: allowed && !shown.has_key,
    enabled: !busy,
    progress: busy,
    onClick: () => change("/keys", { replace: false }),
  });
  if (loaded.error) return html`<main><${Notice} tone="error">${loaded.error.message}</${Notice}></main>`;
  if (!shown) return html`<main><${Skeleton} rows=${3} /></main>`;
  if (!allowed) {
    return html`<main><${Notice}><span class="pre">${shown.closed}</span></${Notice}></main>`;
  }
  return html`
    <main>
      <${Title} sub=${shown.intro}>${shown.title}</${Title}>
      ${made && html`<${ShownOnce} made=${made} />`}
      <${Section}>
        ${shown.rows.map((row) => (row.value === shown.endpoint
          ? html`<${CopyRow} label=${row.label} value=${row.value} testid="endpoint" />`
          : html`<${InfoRow} label=${row.label} value=${row.value} />`))}
      </${Section}>
      ${notice && html`<${Notice} tone=${notice.tone} role="alert">${notice.text}</${Notice}>`}
      ${shown.has_key && html`
        <${Section} footer=${shown.notify_text}>
          <${Switch} id="notify" label=${t("notify_switch")} checked=${shown.notify}
            disabled=${busy} onChange=${(on) => change("/keys/notify", { on })} />
        </${Section}>
        <${Callbacks} key=${shown.callback_url} saved=${shown.callback_url} busy=${busy}
          error=${urlError} save=${(url) => change("/keys/callback", { url })} />
        ${asking && html`
          <${Ask} id="key-question" busy=${busy} testid="key-yes"
            question=${asking === "replace" ? shown.replace_question : shown.revoke_question}
            yes=${asking === "replace" ? t("yes_new_key") : t("yes_revoke")}
            tone=${asking === "replace" ? "" : "destructive"}
            onYes=${() => (asking === "replace"
              ? change("/keys", { replace: true })
              : change("/keys/revoke", {}))}
            no=${t("keep_key")} onNo=${() => setAsking(null)} />`}
        ${!asking && html`
          <div class="actions">
            <${Button} tone="plain" disabled=${busy} onClick=${() => setAsking("replace")}
              testid="new-key-button">${t("new_key")}</${Button}>
            <${Button} tone="destructive" disabled=${busy} onClick=${() => setAsking("revoke")}
              testid="revoke-key">${t("revoke_key")}</${Button}>
          </div>`}`}
    </main>`;
}
