// Orders: cards with a status pill and the progress delivered / ordered, statuses kept live;
// an order's page with the chat's card, its refill and cancel where offered, a product's
// result to copy.
import {
  html, t, api, useState, useLoad, useNav, useEvery, useMainButton, haptic, copy,
} from "./lib.js";
import {
  Section, InfoRow, Skeleton, Pill, Notice, Title, Button, Ask,
} from "./ui.js";

const POLL_MS = 10000;

function Progress({ progress, tone }) {
  if (!progress) return null;
  return html`
    <div class=${"progress " + (tone || "")} role="progressbar" aria-valuemin="0" aria-valuemax="100"
      aria-valuenow=${progress.percent} aria-label=${`${progress.done} / ${progress.total}`}>
      <div class="progress-track">
        <div class="progress-fill" style=${{ width: `${progress.percent}%` }}></div>
      </div>
      <span class="progress-text">${progress.done} / ${progress.total}</span>
    </div>`;
}

export function OrderCard({ order, onOpen }) {
  const inner = html`
    <span class="card-head">
      <span class="card-title">${order.name}</span>
      <${Pill} tone=${order.tone}>${order.status}</${Pill}>
    </span>
    <span class="card-meta">
      <span>${order.number}${order.runs ? ` · 💧×${order.runs}` : ""}</span>
      <span class="money">${order.price}</span>
    </span>
    <${Progress} progress=${order.progress} tone=${order.tone} />
    <span class="card-when">${order.when}</span>`;
  return html`
    <div class="section" data-testid="order-card" data-order=${order.id}>
      ${onOpen
        ? html`<button type="button" class="group card" onClick=${onOpen}>${inner}</button>`
        : html`<div class="group card">${inner}</div>`}
    </div>`;
}

export function OrdersScreen() {
  const nav = useNav();
  const [page, setPage] = useState(0);
  const loaded = useLoad(`/orders?page=${page}`);
  useEvery(POLL_MS, () => loaded.reload(true));
  const data = loaded.data;
  return html`
    <main>
      <${Title}>${t("my_orders")}</${Title}>
      ${loaded.error && html`<${Notice} tone="error">${loaded.error.message}</${Notice}>`}
      ${!data && !loaded.error && html`<${Skeleton} title=${false} rows=${4} />`}
      ${data && data.total === 0 && html`
        <div class="empty"><p class="empty-title">${t("no_orders")}</p></div>`}
      ${data && data.items.map((order) => html`
        <${OrderCard} key=${order.id} order=${order}
          onOpen=${() => nav.push({ screen: "order", id: order.id })} />`)}
      ${data && data.pages > 1 && html`
        <div class="pager">
          <${Button} tone="plain" disabled=${page === 0} onClick=${() => setPage(page - 1)}>‹</${Button}>
          <span class="pager-text">${page + 1} / ${data.pages}</span>
          <${Button} tone="plain" disabled=${page + 1 >= data.pages}
            onClick=${() => setPage(page + 1)}>›</${Button}>
        </div>`}
    </main>`;
}

export function OrderScreen({ id }) {
  const loaded = useLoad(`/orders/${id}`);
  const [notice, setNotice] = useState(null);
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);
  useEvery(POLL_MS, () => loaded.reload(true));
  useMainButton({ text: "", visible: false });
  const act = async (path) => {
    setBusy(true);
    const reply = await api(`/orders/${id}/${path}`, {});
    setAsking(false);
    const ok = reply.ok && reply.body.ok !== false;
    haptic(ok ? "success" : "error");
    setNotice(reply.body.message ? { text: reply.body.message, tone: ok ? "success" : "error" } : null);
    await loaded.reload(true);
    setBusy(false);
  };
  const shown = loaded.data;
  if (loaded.error) return html`<main><${Notice} tone="error">${loaded.error.message}</${Notice}></main>`;
  if (!shown) return html`<main><${Skeleton} rows=${6} /></main>`;
  const finished = ["done", "failed", "partial"].includes(shown.tone);
  return html`
    <main>
      <${Title} sub=${shown.number}>${shown.name}</${Title}>
      <${Section}>
        <div class="row status-row">
          <${Pill} tone=${shown.tone}>${shown.status}</${Pill}>
          <${Progress} progress=${shown.progress} tone=${shown.tone} />
        </div>
        ${shown.rows.map((row) => html`<${InfoRow} label=${row.label} value=${row.value} />`)}
      </${Section}>
      ${shown.result && html`
        <${Section} title=${t("result")}>
          <pre class="result mono" data-testid="order-result">${shown.result}</pre>
          <div class="row">
            <${Button} tone="plain" onClick=${async () => {
              setCopied(await copy(shown.result));
              haptic("success");
            }}>${copied ? t("copied") : t("copy")}</${Button}>
          </div>
        </${Section}>`}
      ${notice && html`<${Notice} tone=${notice.tone} role="alert">${notice.text}</${Notice}>`}
      ${asking && html`
        <${Ask} id="cancel-question" question=${shown.cancel_question} busy=${busy}
          yes=${t("cancel_order")} tone="destructive" onYes=${() => act("cancel")}
          no=${t("keep_order")} onNo=${() => setAsking(false)} testid="cancel-yes" />`}
      <div class="actions">
        ${!finished && html`
          <${Button} tone="plain" disabled=${busy} onClick=${() => act("refresh")}
            testid="refresh">${t("refresh")}</${Button}>`}
        ${shown.can_refill && html`
          <${Button} disabled=${busy} onClick=${() => act("refill")}
            testid="refill">${t("refill_order")}</${Button}>`}
        ${shown.can_cancel && !asking && html`
          <${Button} tone="destructive" disabled=${busy} onClick=${() => setAsking(true)}
            testid="cancel">${t("cancel_order")}</${Button}>`}
      </div>
    </main>`;
}
