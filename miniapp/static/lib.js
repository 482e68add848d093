// What every screen uses: rendering (Preact + htm, vendored), the API, the page's words, and
// Telegram's buttons and haptics. Text from the server is always inserted as text nodes (Preact
// renders strings as text); no script of ours writes HTML (tests/test_miniapp_page.py).
import { h, render, createContext } from "./vendor/preact.mjs";
import {
  useState, useEffect, useRef, useCallback, useContext, useMemo,
} from "./vendor/hooks.mjs";
import htm from "./vendor/htm.mjs";

export const html = htm.bind(h);
export { render, createContext, useState, useEffect, useRef, useCallback, useContext, useMemo };

export const tg = window.Telegram && window.Telegram.WebApp;

// ---- the page's words (served translated by /app/api/start) --------------------------------

let words = {};

export function setWords(texts) {
  words = texts || {};
}

/** The page text `key`, its {placeholders} filled with values the server formatted. */
export function t(key, values) {
  const text = words[key] || key;
  if (!values) return text;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
}

// ---- the API ----------------------------------------------------------------------------

// Trouble that replaces the whole page: 401 (open it again), 403 (suspended).
const troubleListeners = new Set();
export function onTrouble(listener) {
  troubleListeners.add(listener);
  return () => troubleListeners.delete(listener);
}

/** Call the API: {ok, status, body}. A 401 or 403 also tells the page (onTrouble); a lost
 * connection answers status 0 with the page's words for it. */
export async function api(path, body, method) {
  const init = {
    method: method || (body === undefined ? "GET" : "POST"),
    headers: { Authorization: "tma " + ((tg && tg.initData) || "") },
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch("/app/api" + path, init);
  } catch (error) {
    return { ok: false, status: 0, body: { error: "offline", message: t("offline") } };
  }
  let payload = {};
  try {
    payload = await response.json();
  } catch (error) {
    payload = { error: "failed", message: t("failed") };
  }
  if (response.status === 401 || response.status === 403) {
    troubleListeners.forEach((listener) => listener(response.status, payload));
  }
  return { ok: response.ok, status: response.status, body: payload };
}

/** A value that follows `value` once it has stopped changing for `ms`. */
export function useDebounced(value, ms) {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** Load `path` (again whenever it changes): {data, error, loading, reload}. The last
 * request wins: an older answer arriving late is dropped. */
export function useLoad(path) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const latest = useRef(0);
  const load = useCallback(async (quiet) => {
    if (!path) return;
    const number = ++latest.current;
    if (!quiet) setState((old) => ({ ...old, loading: true }));
    const reply = await api(path);
    if (number !== latest.current) return;
    setState(reply.ok
      ? { data: reply.body, error: null, loading: false }
      : { data: null, error: reply.body, loading: false });
  }, [path]);
  useEffect(() => { load(false); }, [load]);
  return { ...state, reload: load };
}

/** Call `fn` every `ms` while the screen is shown and the page visible. */
export function useEvery(ms, fn) {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") saved.current();
    }, ms);
    return () => clearInterval(timer);
  }, [ms]);
}

// ---- Telegram's own buttons and haptics -----------------------------------------------------

/** Telegram's MainButton for the screen that calls this: its text, whether it can be pressed,
 * its spinner while something is being done, and what pressing it does. */
export function useMainButton({ text, enabled, visible, progress, onClick }) {
  const handler = useRef(onClick);
  handler.current = onClick;
  useEffect(() => {
    if (!tg) return undefined;
    const click = () => {
      if (tg.MainButton.isProgressVisible) return; // a second tap while placing: nothing
      if (handler.current) handler.current();
    };
    tg.MainButton.onClick(click);
    return () => {
      tg.MainButton.offClick(click);
      tg.MainButton.hideProgress();
      tg.MainButton.hide();
    };
  }, []);
  useEffect(() => {
    if (!tg) return;
    const shown = visible !== false && Boolean(text);
    tg.MainButton.setParams({
      text: text || "",
      is_visible: shown,
      is_active: Boolean(enabled) && !progress,
      color: enabled ? (tg.themeParams.button_color || "#2481cc") : (tg.themeParams.hint_color || "#999999"),
      text_color: tg.themeParams.button_text_color || "#ffffff",
    });
    if (progress) tg.MainButton.showProgress(false);
    else tg.MainButton.hideProgress();
  }, [text, enabled, visible, progress]);
}

/** Telegram's BackButton: shown on every screen but the first. */
export function useBackButton(shown, onBack) {
  const handler = useRef(onBack);
  handler.current = onBack;
  useEffect(() => {
    if (!tg) return undefined;
    const click = () => handler.current && handler.current();
    tg.BackButton.onClick(click);
    return () => tg.BackButton.offClick(click);
  }, []);
  useEffect(() => {
    if (!tg) return;
    if (shown) tg.BackButton.show();
    else tg.BackButton.hide();
  }, [shown]);
}

export function haptic(kind) {
  if (!tg || !tg.HapticFeedback) return;
  if (kind === "select") tg.HapticFeedback.selectionChanged();
  else tg.HapticFeedback.notificationOccurred(kind);
}

/** Copy `text`; true when it was. */
export async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (error) {
    return false;
  }
}

/** Open a payment link: a t.me link inside Telegram, any other outside it. */
export function openLink(url) {
  if (tg && /^https:\/\/t\.me\//.test(url)) tg.openTelegramLink(url);
  else if (tg) tg.openLink(url);
  else window.open(url, "_blank", "noopener");
}

// ---- navigation: a stack of screens, BackButton pops it --------------------------------------

export const Nav = createContext(null);
export const useNav = () => useContext(Nav);
