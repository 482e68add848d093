// The balance, its movements, and topping it up with every method the chat offers: Stars by an
// invoice opened in Telegram, crypto through its pay link, the bank's QR code, a card transfer
// with its instructions. The balance on screen changes when the money arrives.
import {
  html, t, tg, api, useState, useEffect, useRef, useLoad, useNav, useEvery, useMainButton,
  haptic, openLink,
} from "./lib.js";
import {
  Section, Row, InfoRow, CopyRow, Skeleton, Field, Notice, Title, Button,
} from "./ui.js";

const WATCH_MS = 3000;

export function BalanceScreen() {
  const nav = useNav();
  const balance = useLoad("/balance");
  const methods = useLoad("/topup");
  useEvery(WATCH_MS * 3, () => balance.reload(true));
  useMainButton({ text: "", visible: false });
  const data = balance.data;
  return html`
    <main>
      <div class="balance-head">
        <p class="balance-label">${t("your_balance")}</p>
        <p class="balance-big" data-testid="balance">${data ? data.balance : "\u00a0"}</p>
      </div>
      ${methods.data
        ? html`
          <${Section} title=${t("top_up_with")}>
            ${methods.data.methods.map((method) => html`
              <${Row} key=${method.method} title=${t(method.method)} subtitle=${method.intro}
                testid=${"method-" + method.method}
                onClick=${() => nav.push({ screen: "topup", method })} />`)}
          </${Section}>`
        : html`<${Skeleton} rows=${2} />`}
      ${data
        ? html`
          <${Section} title=${t("movements")}>
            ${data.movements.length
              ? data.movements.map((entry) => html`
                <${Row} title=${entry.what}
                  value=${html`<span class=${"money " + (entry.credit ? "credit" : "")}>${entry.amount}</span>`} />`)
              : html`<${Row} title=${t("no_movements")} tone="muted" />`}
          </${Section}>`
        : html`<${Skeleton} rows=${4} />`}
    </main>`;
}

/** Watch the balance, once a payment has started, until it is no longer what it was when
 * the screen opened (`before`): then the money has arrived. */
function useArrival(before, watching, onArrived) {
  const [arrived, setArrived] = useState(false);
  const check = async () => {
    const reply = await api("/balance");
    if (reply.ok && before !== null && reply.body.balance !== before && !arrived) {
      setArrived(true);
      haptic("success");
      onArrived(reply.body.balance);
    }
  };
  useEffect(() => { if (watching) check(); }, [watching]);
  useEvery(WATCH_MS, () => { if (watching && !arrived) check(); });
  return arrived;
}

function Payment({ payment }) {
  if (payment.kind === "link") {
    return html`
      <${Section}><p class="description pre">${payment.text}</p></${Section}>
      <div class="actions">
        <${Button} onClick=${() => openLink(payment.url)} testid="open-pay">${t("open_crypto")}</${Button}>
      </div>`;
  }
  if (payment.kind === "bank") {
    return html`
      <${Section}>
        <div class="qr"><img src=${payment.qr} alt=${payment.code} width="220" height="220" /></div>
      </${Section}>
      <${Section} title=${t("scan_qr")}>
        ${payment.rows.slice(2).map((row) => row.label
          ? html`<${CopyRow} label=${row.label} value=${row.value}
              copied=${row.value.replace(/ VND$/, "")} />`
          : html`<${InfoRow} value=${row.value} />`)}
      </${Section}>`;
  }
  return null;
}

function ManualProof({ payment }) {
  const [text, setText] = useState("");
  const [answer, setAnswer] = useState(null);
  const [sending, setSending] = useState(false);
  const send = async () => {
    setSending(true);
    const reply = await api(`/topup/${payment.payment}/proof`, { text });
    setSending(false);
    const ok = reply.ok && reply.body.ok;
    haptic(ok ? "success" : "error");
    setAnswer({ ok, text: reply.body.message });
  };
  return html`
    <${Section}><p class="description pre">${payment.text}</p></${Section}>
    ${answer && answer.ok
      ? html`<${Notice} tone="success" role="alert">${answer.text}</${Notice}>`
      : html`
        <${Section}>
          <div class="form">
            <${Field} id="proof" label=${t("proof")} error=${answer && answer.text}
              hint=${t("proof_hint", { max: payment.proof_max })}>
              <textarea id="proof" rows="3" value=${text}
                onInput=${(event) => setText(event.currentTarget.value)}></textarea>
            </${Field}>
          </div>
        </${Section}>
        <div class="actions">
          <${Button} disabled=${sending || !text.trim()} onClick=${send}>${t("send_proof")}</${Button}>
        </div>`}`;
}

export function TopUpScreen({ method }) {
  const nav = useNav();
  const [chosen, setChosen] = useState(null); // a preset's amount
  const [typed, setTyped] = useState("");
  const [error, setError] = useState(null);
  const [paying, setPaying] = useState(false);
  const [payment, setPayment] = useState(null);
  const [status, setStatus] = useState(null);
  const opened = useLoad("/balance");
  const before = opened.data ? opened.data.balance : null;
  const watching = Boolean(payment && payment.kind !== "manual") || status === "paid";
  const arrived = useArrival(before, watching, () => nav.refreshBalance());
  const amount = typed.trim() || chosen;
  const preset = method.presets.find((p) => p.amount === chosen);
  const label = typed.trim() || (preset ? preset.label : "");
  const start = async () => {
    setPaying(true);
    setError(null);
    const reply = await api("/topup", { method: method.method, amount });
    setPaying(false);
    if (!reply.ok) {
      haptic("error");
      setError(reply.body.message);
      return;
    }
    const body = reply.body;
    if (body.kind === "invoice") {
      tg.openInvoice(body.url, (result) => {
        setStatus(result);
        if (result === "failed") haptic("error");
      });
      setStatus("open");
      return;
    }
    setPayment(body);
    if (body.kind === "link") openLink(body.url);
  };
  useMainButton({
    text: payment ? "" : amount ? t("pay", { amount: label }) : t("amount"),
    visible: !payment,
    enabled: Boolean(amount),
    progress: paying,
    onClick: start,
  });
  return html`
    <main>
      <${Title} sub=${method.intro}>${t(method.method)}</${Title}>
      ${!payment && html`
        <${Section} title=${t("amount")}>
          <div class="chips" role="radiogroup" aria-label=${t("amount")}>
            ${method.presets.map((option) => html`
              <button type="button" role="radio" aria-checked=${chosen === option.amount && !typed.trim()}
                class=${"chip" + (chosen === option.amount && !typed.trim() ? " chosen" : "")}
                onClick=${() => { haptic("select"); setChosen(option.amount); setTyped(""); }}>
                <span class="chip-main">${option.label}</span>
                ${option.extra && html`<span class="chip-extra">${option.extra}</span>`}
              </button>`)}
          </div>
          <div class="form">
            <${Field} id="amount" label=${t("other_amount")} error=${error}>
              <input id="amount" inputmode="decimal" autocomplete="off" value=${typed}
                aria-invalid=${error ? "true" : "false"}
                onInput=${(event) => { setTyped(event.currentTarget.value); setError(null); }} />
            </${Field}>
          </div>
        </${Section}>`}
      ${payment && payment.kind === "manual" && html`<${ManualProof} payment=${payment} />`}
      ${payment && html`<${Payment} payment=${payment} />`}
      ${status === "failed" && html`<${Notice} tone="error">${t("payment_failed")}</${Notice}>`}
      ${arrived
        ? html`<${Notice} tone="success" role="alert">${t("payment_received")}</${Notice}>`
        : watching && html`<${Notice}>${t("waiting_payment")}</${Notice}>`}
    </main>`;
}
