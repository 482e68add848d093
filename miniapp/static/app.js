// The Mini App: the first screen as soon as the person's words and catalog arrive, a stack of
// screens that Telegram's BackButton pops, and one calm screen in place of the page when the
// shop cannot serve it (opened outside Telegram or too long ago, suspended, no connection).
import {
  html, render, tg, t, api, setWords, onTrouble, useState, useEffect, useRef, useCallback,
  useBackButton, useMainButton, Nav,
} from "./lib.js";
import { Calm, Skeleton, closeApp } from "./ui.js";
import { Home, CategoryScreen, ProductCategoryScreen } from "./catalog.js";
import { ServiceScreen, ProductScreen, ConfirmScreen, ResultScreen } from "./order.js";
import { OrdersScreen, OrderScreen } from "./orders.js";
import { BalanceScreen, TopUpScreen } from "./money.js";
import { KeysScreen } from "./keys.js";

const SCREENS = {
  category: CategoryScreen,
  "product-category": ProductCategoryScreen,
  service: ServiceScreen,
  product: ProductScreen,
  confirm: ConfirmScreen,
  result: ResultScreen,
  orders: OrdersScreen,
  order: OrderScreen,
  balance: BalanceScreen,
  topup: TopUpScreen,
  keys: KeysScreen,
};

function applyScheme() {
  const scheme = (tg && tg.colorScheme) || "light";
  document.documentElement.dataset.scheme = scheme;
}

function Trouble({ trouble, retry }) {
  useMainButton({ text: "", visible: false });
  if (trouble.status === 401) {
    return html`<${Calm} icon="🔒" title=${trouble.body.title} text=${trouble.body.message}
      action=${trouble.body.close} onAction=${closeApp} />`;
  }
  if (trouble.status === 403) {
    return html`<${Calm} icon="⛔" title=${trouble.body.title} text=${trouble.body.message}
      action=${t("close")} onAction=${closeApp} />`;
  }
  return html`<${Calm} icon="📡" title=${trouble.body.message} action=${t("retry")}
    onAction=${retry} />`;
}

function App() {
  const [start, setStart] = useState(null);
  const [balance, setBalance] = useState(null);
  const [trouble, setTrouble] = useState(null);
  const [stack, setStack] = useState([]);
  const memory = useRef({});
  const scrolls = useRef([]);

  const boot = useCallback(async () => {
    setTrouble(null);
    const reply = await api("/start");
    if (!reply.ok) {
      setTrouble({ status: reply.status, body: reply.body });
      return;
    }
    setWords(reply.body.texts);
    document.documentElement.lang = reply.body.language;
    setBalance(reply.body.balance);
    setStart(reply.body);
  }, []);

  useEffect(() => {
    applyScheme();
    if (tg) {
      tg.ready();
      tg.expand();
      tg.onEvent("themeChanged", applyScheme);
    }
    const stop = onTrouble((status, body) => setTrouble({ status, body }));
    boot();
    return stop;
  }, []);

  const refreshBalance = useCallback(async () => {
    const reply = await api("/balance");
    if (reply.ok) setBalance(reply.body.balance);
  }, []);

  const nav = {
    memory: memory.current,
    push: (screen) => {
      scrolls.current.push(window.scrollY);
      setStack((old) => [...old, screen]);
      window.scrollTo(0, 0);
    },
    pop: () => {
      const y = scrolls.current.pop() || 0;
      setStack((old) => old.slice(0, -1));
      requestAnimationFrame(() => window.scrollTo(0, y));
    },
    replace: (screen) => setStack((old) => [...old.slice(0, -1), screen]),
    reset: (screens) => {
      scrolls.current = screens.map(() => 0);
      setStack(screens);
      window.scrollTo(0, 0);
      refreshBalance();
    },
    refreshBalance,
  };
  useBackButton(stack.length > 0 && !trouble, nav.pop);

  if (trouble) return html`<${Trouble} trouble=${trouble} retry=${boot} />`;
  if (!start) return html`<main class="booting"><${Skeleton} rows=${3} /><${Skeleton} rows=${6} /></main>`;
  const top = stack[stack.length - 1];
  const Screen = top ? SCREENS[top.screen] : null;
  return html`
    <${Nav.Provider} value=${nav}>
      ${Screen
        ? html`<${Screen} key=${stack.length + top.screen} ...${top} />`
        : html`<${HomeScreen} start=${start} balance=${balance} refresh=${refreshBalance} />`}
    </${Nav.Provider}>`;
}

function HomeScreen({ start, balance, refresh }) {
  useMainButton({ text: "", visible: false });
  useEffect(() => { refresh(); }, []);
  return html`<${Home} start=${start} balance=${balance} />`;
}

render(html`<${App} />`, document.getElementById("app"));
