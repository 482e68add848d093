// A stand-in for Telegram's telegram-web-app.js in the browser tests: the parts of
// window.Telegram.WebApp the Mini App uses, following https://core.telegram.org/bots/webapps.
// The test prepends `window.__TG_CONFIG = {initData, themeParams, colorScheme, ...}` and reads
// what the page did from `window.__tg` (MainButton, BackButton, haptics, invoices, close).
(function () {
  const config = window.__TG_CONFIG || {};
  const record = {
    ready: 0, expanded: 0, closed: 0, haptics: [], invoices: [], links: [], mainClicks: 0,
  };
  const handlers = { main: [], back: [], events: {} };

  function fire(list, ...args) {
    list.slice().forEach((handler) => handler(...args));
  }

  const MainButton = {
    text: "", color: "#2481cc", textColor: "#ffffff",
    isVisible: false, isActive: true, isProgressVisible: false,
    setText(text) { this.text = String(text); return this; },
    setParams(params) {
      if ("text" in params) this.text = String(params.text);
      if ("color" in params) this.color = params.color;
      if ("text_color" in params) this.textColor = params.text_color;
      if ("is_active" in params) this.isActive = Boolean(params.is_active);
      if ("is_visible" in params) this.isVisible = Boolean(params.is_visible);
      return this;
    },
    show() { this.isVisible = true; return this; },
    hide() { this.isVisible = false; return this; },
    enable() { this.isActive = true; return this; },
    disable() { this.isActive = false; return this; },
    showProgress() { this.isProgressVisible = true; return this; },
    hideProgress() { this.isProgressVisible = false; return this; },
    onClick(handler) { handlers.main.push(handler); return this; },
    offClick(handler) {
      handlers.main = handlers.main.filter((item) => item !== handler);
      return this;
    },
  };

  const BackButton = {
    isVisible: false,
    show() { this.isVisible = true; return this; },
    hide() { this.isVisible = false; return this; },
    onClick(handler) { handlers.back.push(handler); return this; },
    offClick(handler) {
      handlers.back = handlers.back.filter((item) => item !== handler);
      return this;
    },
  };

  const themeParams = config.themeParams || {};
  const root = document.documentElement;
  // As Telegram's script does: every theme colour as a --tg-theme-* variable.
  Object.entries(themeParams).forEach(([name, value]) => {
    root.style.setProperty(`--tg-theme-${name.replace(/_/g, "-")}`, value);
  });
  const height = window.innerHeight;
  root.style.setProperty("--tg-viewport-height", `${height}px`);
  root.style.setProperty("--tg-viewport-stable-height", `${height}px`);

  let invoiceCallback = null;
  const WebApp = {
    initData: config.initData || "",
    initDataUnsafe: config.initDataUnsafe || {},
    version: "8.0",
    platform: "tdesktop",
    colorScheme: config.colorScheme || "light",
    themeParams,
    isExpanded: false,
    viewportHeight: height,
    viewportStableHeight: height,
    MainButton,
    BackButton,
    HapticFeedback: {
      impactOccurred(style) { record.haptics.push("impact:" + style); return this; },
      notificationOccurred(kind) { record.haptics.push(kind); return this; },
      selectionChanged() { record.haptics.push("select"); return this; },
    },
    ready() { record.ready += 1; },
    expand() { record.expanded += 1; this.isExpanded = true; },
    close() { record.closed += 1; },
    onEvent(name, handler) { (handlers.events[name] = handlers.events[name] || []).push(handler); },
    offEvent(name, handler) {
      handlers.events[name] = (handlers.events[name] || []).filter((item) => item !== handler);
    },
    openInvoice(url, callback) { record.invoices.push(url); invoiceCallback = callback; },
    openLink(url) { record.links.push(url); },
    openTelegramLink(url) { record.links.push(url); },
    sendData() {},
  };

  window.Telegram = { WebApp };
  window.__tg = {
    record,
    main: MainButton,
    back: BackButton,
    /** A tap on the MainButton, as Telegram reports it (only when it is active). */
    pressMain() {
      record.mainClicks += 1;
      if (MainButton.isVisible && MainButton.isActive) fire(handlers.main);
    },
    pressBack() {
      if (BackButton.isVisible) fire(handlers.back);
    },
    invoiceClosed(status) {
      if (invoiceCallback) invoiceCallback(status);
    },
  };
})();
