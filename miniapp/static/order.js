// Ordering: a service's page and its form (checked by the server as the person types, with the
// chat's words next to each field), a product's page, the confirm step and the result.
import {
  html, t, api, useState, useEffect, useRef, useLoad, useDebounced, useNav, useMainButton,
  haptic,
} from "./lib.js";
import {
  Section, InfoRow, Skeleton, Badges, Field, Notice, Title, Button, Switch,
} from "./ui.js";
import { OrderCard } from "./orders.js";

const CHECK_DELAY_MS = 300;
const EMPTY_FORM = {
  link: "", quantity: "", comments: "", list: "", suggest: "", search: "",
  dripfeed: false, runs: "", interval: "",
};

/** The form checked by the server once typing pauses; the last answer wins. */
function useChecked(path, form, ready) {
  const settled = useDebounced(form, CHECK_DELAY_MS);
  const [checked, setChecked] = useState(null);
  const latest = useRef(0);
  useEffect(() => {
    if (!ready) return;
    const number = ++latest.current;
    api(path, settled).then((reply) => {
      if (number === latest.current && reply.ok) setChecked({ ...reply.body, form: settled });
    });
  }, [settled, ready, path]);
  return checked;
}

/** Fields: their value, whether the person has left them (then their error shows). */
function useForm(key, initial) {
  const nav = useNav();
  const [form, setForm] = useState(nav.memory[key] || initial);
  const [touched, setTouched] = useState({});
  useEffect(() => { nav.memory[key] = form; }, [form]);
  const bind = (name) => ({
    id: name,
    name,
    value: form[name],
    onInput: (event) => setForm((old) => ({ ...old, [name]: event.currentTarget.value })),
    onBlur: () => setTouched((old) => (form[name] ? { ...old, [name]: true } : old)),
  });
  const touchAll = () => setTouched(Object.fromEntries(Object.keys(form).map((k) => [k, true])));
  return { form, setForm, touched, touchAll, bind };
}

/** A field's error, once the person has left the field, and only while the field still holds
 * what was checked (no stale words while the next check is on its way). */
function errorOf(checked, form, touched, name) {
  if (!touched[name] || !checked || !checked.errors) return undefined;
  if (checked.form && checked.form[name] !== form[name]) return undefined;
  return checked.errors[name];
}

function described(name, error) {
  return { "aria-invalid": error ? "true" : "false", "aria-describedby": name + (error ? "-error" : "-hint") };
}

/** The form's primary action, Telegram's MainButton ("Order · 2.50 USD" once the quantity is
 * right, pressable once every field is): quote the form at `path`, then the confirm screen, or
 * the errors the quote found shown at once. */
function useQuote(path, { form, touchAll }, checked, shown) {
  const nav = useNav();
  const [quoting, setQuoting] = useState(false);
  const [problem, setProblem] = useState(null);
  const [forced, setForced] = useState(null);
  useEffect(() => setForced(null), [checked]);
  const valid = checked && Object.keys(checked.errors).length === 0;
  const submit = async () => {
    if (quoting) return;
    if (!valid) {
      haptic("error");
      touchAll();
      return;
    }
    setQuoting(true);
    setProblem(null);
    const reply = await api(path, form);
    setQuoting(false);
    if (reply.ok) {
      nav.push({ screen: "confirm", confirm: reply.body });
      return;
    }
    haptic("error");
    touchAll();
    if (reply.status !== 422) setProblem(reply.body.message);
    setForced(reply.body.errors || null);
  };
  useMainButton({
    text: shown && (checked && checked.price ? t("order_for", { price: checked.price }) : t("order")),
    enabled: valid,
    progress: quoting,
    onClick: submit,
  });
  return { submit, problem, errors: forced ? { errors: forced, form } : checked };
}

/** A page still loading, or that could not load: what it shows meanwhile (null once loaded). */
function notYet(loaded) {
  if (loaded.error) return html`<main><${Notice} tone="error">${loaded.error.message}</${Notice}></main>`;
  if (!loaded.data) return html`<main><${Skeleton} rows=${4} /></main>`;
  return null;
}

export function ServiceScreen({ id }) {
  const loaded = useLoad(`/services/${id}`);
  const service = loaded.data;
  const fill = useForm(`service${id}`, EMPTY_FORM);
  const { form, setForm, touched, bind } = fill;
  const checked = useChecked(`/services/${id}/check`, form, Boolean(service));
  const quote = `/services/${id}/quote`;
  const { submit, problem, errors } = useQuote(quote, fill, checked, Boolean(service));
  if (!service) return notYet(loaded);
  const fields = service.fields;
  const error = (name) => errorOf(errors, form, touched, name);
  const has = (name) => fields.includes(name);
  return html`
    <main>
      <${Title} sub=${service.category}>${service.name}</${Title}>
      <${Section}>
        <div class="price-block">
          <span class="price-big" data-testid="unit-price">${service.price}</span>
          <span class="price-per">${service.per === "package" ? t("per_package") : t("per_thousand")}</span>
          ${service.min && html`<span class="price-range">${t("range", { min: service.min, max: service.max })}</span>`}
          <${Badges} badges=${service.badges} />
        </div>
      </${Section}>
      <${Section}>
        <form class="form" onSubmit=${(event) => { event.preventDefault(); submit(); }}>
          <button type="submit" class="hidden-submit" tabindex="-1" aria-hidden="true"></button>
          <${Field} id="link" label=${t("link")} hint=${t("link_hint")} error=${error("link")}>
            <input ...${bind("link")} ...${described("link", error("link"))} type="url"
              inputmode="url" autocomplete="off" autocapitalize="off" spellcheck="false"
              placeholder="https://" />
          </${Field}>
          ${has("quantity") && html`
            <${Field} id="quantity" label=${t("quantity")} error=${error("quantity")}
              hint=${t("range", { min: service.min, max: service.max })}>
              <input ...${bind("quantity")} ...${described("quantity", error("quantity"))}
                inputmode="numeric" autocomplete="off" placeholder=${service.min} />
            </${Field}>`}
          ${has("comments") && html`
            <${Field} id="comments" label=${t("comments")} error=${error("comments")}
              hint=${(checked && checked.count_text) || t("comments_hint", service.limits.comments)}>
              <textarea ...${bind("comments")} ...${described("comments", error("comments"))}
                rows="6"></textarea>
            </${Field}>`}
          ${["list", "suggest", "search"].filter(has).map((name) => html`
            <${Field} id=${name} label=${t(name === "search" ? "search_words" : name)}
              error=${error(name)} hint=${t("lines_hint", { max: service.limits.list.max })}>
              <textarea ...${bind(name)} ...${described(name, error(name))} rows="4"></textarea>
            </${Field}>`)}
        </form>
      </${Section}>
      ${has("runs") && html`
        <${Section} footer=${form.dripfeed ? null : t("dripfeed_hint")}>
          <${Switch} id="dripfeed" label=${t("dripfeed_switch")} checked=${form.dripfeed}
            onChange=${(on) => setForm((old) => ({ ...old, dripfeed: on }))} />
          ${form.dripfeed && html`
            <div class="form">
              <${Field} id="runs" label=${t("runs")} error=${error("runs")}
                hint=${t("range", { min: service.limits.runs.min, max: (checked && checked.runs_max) || "…" })}>
                <input ...${bind("runs")} ...${described("runs", error("runs"))}
                  inputmode="numeric" autocomplete="off" />
              </${Field}>
              <${Field} id="interval" label=${t("interval")} error=${error("interval")}
                hint=${t("range", service.limits.interval)}>
                <input ...${bind("interval")} ...${described("interval", error("interval"))}
                  inputmode="numeric" autocomplete="off" />
              </${Field}>
            </div>`}
        </${Section}>`}
      ${checked && checked.price && html`
        <${Section}>
          <${InfoRow} label=${t("price")} value=${checked.price} />
        </${Section}>`}
      ${problem && html`<${Notice} tone="error">${problem}</${Notice}>`}
      ${service.description && html`
        <${Section} title=${t("description")}>
          <p class="description">${service.description}</p>
        </${Section}>`}
    </main>`;
}

export function ProductScreen({ id }) {
  const loaded = useLoad(`/products/${id}`);
  const product = loaded.data;
  const fill = useForm(`product${id}`, { quantity: "", require: "" });
  const { form, touched, bind } = fill;
  const ready = Boolean(product && product.in_stock);
  const checked = useChecked(`/products/${id}/check`, form, ready);
  const { submit, problem, errors } = useQuote(`/products/${id}/quote`, fill, checked, ready);
  if (!product) return notYet(loaded);
  const error = (name) => errorOf(errors, form, touched, name);
  return html`
    <main>
      <${Title}>${product.name}</${Title}>
      <${Section}>
        ${product.rows.map((row) => html`<${InfoRow} label=${row.label} value=${row.value} />`)}
      </${Section}>
      ${product.in_stock && html`
        <${Section}>
          <form class="form" onSubmit=${(event) => { event.preventDefault(); submit(); }}>
            <button type="submit" class="hidden-submit" tabindex="-1" aria-hidden="true"></button>
            <${Field} id="quantity" label=${t("quantity")} error=${error("quantity")}
              hint=${t("range", { min: product.min, max: product.max })}>
              <input ...${bind("quantity")} ...${described("quantity", error("quantity"))}
                inputmode="numeric" autocomplete="off" placeholder=${product.min} />
            </${Field}>
            ${product.fields.includes("require") && html`
              <${Field} id="require" label=${product.require} error=${error("require")}
                hint=${t("require_hint", { max: product.require_max })}>
                <textarea ...${bind("require")} ...${described("require", error("require"))}
                  rows="3" autocomplete="off" spellcheck="false"></textarea>
              </${Field}>`}
          </form>
        </${Section}>`}
      ${problem && html`<${Notice} tone="error">${problem}</${Notice}>`}
    </main>`;
}

export function ConfirmScreen({ confirm: first }) {
  const nav = useNav();
  const [confirm, setConfirm] = useState(first);
  const [placing, setPlacing] = useState(false);
  const [notice, setNotice] = useState(null);
  const busy = useRef(false);
  const place = async () => {
    if (busy.current) return; // a double tap: the first one is on its way
    busy.current = true;
    setPlacing(true);
    setNotice(null);
    const reply = await api("/orders", { draft: confirm.draft });
    busy.current = false;
    setPlacing(false);
    nav.refreshBalance();
    if (reply.ok) {
      const result = reply.body;
      haptic(result.ok ? "success" : result.outcome === "held" ? "warning" : "error");
      nav.replace({ screen: "result", result });
      return;
    }
    if (reply.body.error === "price_changed") {
      haptic("warning");
      setConfirm(reply.body.confirm);
    } else {
      haptic("error");
    }
    setNotice({ text: reply.body.message, tone: reply.body.error === "price_changed" ? "warning" : "error" });
  };
  useMainButton({
    text: confirm.missing ? t("top_up") : t("confirm_for", { price: confirm.price }),
    enabled: true,
    progress: placing,
    onClick: confirm.missing ? () => nav.push({ screen: "balance" }) : place,
  });
  return html`
    <main>
      <${Title}>${t("check_order")}</${Title}>
      <${Section}>
        ${confirm.rows.map((row) => html`<${InfoRow} label=${row.label} value=${row.value} />`)}
      </${Section}>
      ${notice && html`<${Notice} tone=${notice.tone} role="alert">${notice.text}</${Notice}>`}
    </main>`;
}

export function ResultScreen({ result }) {
  const nav = useNav();
  useMainButton({ text: t("to_orders"), enabled: true, onClick: () => nav.reset([{ screen: "orders" }]) });
  return html`
    <main>
      <${Notice} tone=${result.ok ? "success" : result.outcome === "held" ? "warning" : "error"}
        role="alert">
        <span class="pre" data-testid="result-message">${result.message}</span>
      </${Notice}>
      ${result.order && html`<${OrderCard} order=${result.order} />`}
      <div class="actions">
        <${Button} onClick=${() => nav.reset([])} tone="plain">${t("to_shop")}</${Button}>
      </div>
    </main>`;
}
