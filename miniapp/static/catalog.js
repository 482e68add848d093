// The catalog: the first screen (search pinned at the top, orders and balance, categories),
// a category's services, search results as the person types, and product shelves.
import {
  html, t, api, useState, useEffect, useRef, useLoad, useDebounced, useNav,
} from "./lib.js";
import {
  Section, Row, Skeleton, Badges, Highlight, Notice, Title,
} from "./ui.js";

const SEARCH_DELAY_MS = 250;

/** A letter or digit pair, or a number: what the chat's search takes (shop/catalog.py). */
function searchable(query) {
  const kept = query.normalize("NFKC").replace(/[^\p{L}\p{N}]/gu, "");
  return /^\d+$/.test(kept) || kept.length >= 2;
}

export function priceLine(row) {
  if (row.price === null) return null;
  const per = row.per === "package" ? t("per_package") : t("per_thousand");
  const range = row.min ? ` · ${row.min}–${row.max}` : "";
  return `${row.price} ${per}${range}`;
}

export function ServiceRow({ row, terms }) {
  const nav = useNav();
  return html`
    <${Row}
      testid="service-row"
      title=${html`<${Highlight} text=${row.name} terms=${terms} />`}
      subtitle=${priceLine(row)}
      onClick=${row.price === null ? null : () => nav.push({ screen: "service", id: row.id })}>
      <${Badges} badges=${row.badges} />
    </${Row}>`;
}

/** Pages of a list: the first comes with the screen, "Show more" fetches the next. */
function usePages(first, pathOf) {
  const [pages, setPages] = useState([]);
  const [loading, setLoading] = useState(false);
  useEffect(() => setPages(first ? [first] : []), [first]);
  const last = pages[pages.length - 1];
  const more = last && last.page + 1 < last.pages
    ? async () => {
      setLoading(true);
      const reply = await api(pathOf(last.page + 1));
      setLoading(false);
      if (reply.ok) setPages((old) => [...old, reply.body]);
    }
    : null;
  return { items: pages.flatMap((page) => page.items), more, loading };
}

function MoreRow({ more, loading }) {
  if (!more) return null;
  return html`<${Row} title=${t("more")} tone="link" onClick=${loading ? null : more} />`;
}

function Categories({ first, path, screen, title }) {
  const nav = useNav();
  const { items, more, loading } = usePages(first, (page) => `${path}?page=${page}`);
  if (!items.length) return null;
  return html`
    <${Section} title=${title}>
      ${items.map((category) => html`
        <${Row} key=${category.id} title=${category.name} value=${category.count}
          testid="category-row"
          onClick=${() => nav.push({ screen, id: category.id, name: category.name })} />`)}
      <${MoreRow} more=${more} loading=${loading} />
    </${Section}>`;
}

function SearchResults({ query }) {
  const settled = useDebounced(query.trim(), SEARCH_DELAY_MS);
  const ready = settled && searchable(settled);
  const path = ready ? `/search?q=${encodeURIComponent(settled)}` : null;
  const found = useLoad(path);
  const { items, more, loading } = usePages(
    found.data && found.data.items ? found.data : null,
    (page) => `${path}&page=${page}`,
  );
  if (!ready) return html`<${Notice}>${t("search_hint")}</${Notice}>`;
  if (found.loading && !found.data) return html`<${Skeleton} rows=${5} />`;
  const data = found.data || {};
  if (data.problem) return html`<${Notice} tone="error">${data.problem}</${Notice}>`;
  if (!items.length) {
    return html`
      <div class="empty" data-testid="nothing-found">
        <p class="empty-title">${t("nothing_found", { query: settled })}</p>
        <p class="empty-text">${t("nothing_found_hint")}</p>
      </div>`;
  }
  return html`
    <${Section} title=${data.found}>
      ${items.map((row) => html`<${ServiceRow} key=${row.id} row=${row} terms=${data.terms} />`)}
      <${MoreRow} more=${more} loading=${loading} />
    </${Section}>`;
}

export function Home({ start, balance }) {
  const nav = useNav();
  const [query, setQuery] = useState(nav.memory.query || "");
  const input = useRef(null);
  useEffect(() => { nav.memory.query = query; }, [query]);
  const searching = query.trim().length > 0;
  return html`
    <div class="search-bar">
      <label class="search" for="search">
        <span class="search-icon" aria-hidden="true"></span>
        <input id="search" ref=${input} type="search" inputmode="search" autocomplete="off"
          enterkeyhint="search" placeholder=${t("search")} aria-label=${t("search")}
          value=${query} onInput=${(event) => setQuery(event.currentTarget.value)}
          onKeyDown=${(event) => { if (event.key === "Enter") event.currentTarget.blur(); }} />
      </label>
    </div>
    <main>
      ${searching
        ? html`<${SearchResults} query=${query} />`
        : html`
          <${Section}>
            <${Row} icon="📦" title=${t("my_orders")} testid="to-orders"
              onClick=${() => nav.push({ screen: "orders" })} />
            <${Row} icon="💰" title=${t("balance")} value=${balance} testid="to-balance"
              onClick=${() => nav.push({ screen: "balance" })} />
            ${start.reseller_api && html`
              <${Row} icon="🔌" title=${t("api")} testid="to-api"
                onClick=${() => nav.push({ screen: "keys" })} />`}
          </${Section}>
          ${start.categories.total === 0
            ? html`<${Notice}>${t("catalog_empty")}</${Notice}>`
            : html`<${Categories} first=${start.categories} path="/categories"
                screen="category" title=${t("services")} />`}
          <${Categories} first=${start.product_categories} path="/product-categories"
            screen="product-category" title=${t("products")} />`}
    </main>`;
}

/** A category's page: its rows (drawn by `row`), a page at a time. */
function Shelf({ path, name, row }) {
  const loaded = useLoad(path);
  const { items, more, loading } = usePages(loaded.data, (page) => `${path}?page=${page}`);
  return html`
    <main>
      <${Title}>${name}</${Title}>
      ${loaded.error
        ? html`<${Notice} tone="error">${loaded.error.message}</${Notice}>`
        : !loaded.data
          ? html`<${Skeleton} title=${false} />`
          : html`
            <${Section}>
              ${items.map(row)}
              <${MoreRow} more=${more} loading=${loading} />
            </${Section}>`}
    </main>`;
}

export function CategoryScreen({ id, name }) {
  return html`<${Shelf} path=${`/categories/${id}`} name=${name}
    row=${(row) => html`<${ServiceRow} key=${row.id} row=${row} />`} />`;
}

function productLine(row) {
  if (!row.in_stock) return t("out_of_stock");
  return row.price ? `${row.price} ${t("each")}` : null;
}

export function ProductCategoryScreen({ id, name }) {
  const nav = useNav();
  return html`<${Shelf} path=${`/product-categories/${id}`} name=${name}
    row=${(row) => html`
      <${Row} key=${row.id} title=${row.name} subtitle=${productLine(row)}
        tone=${row.in_stock ? "" : "muted"} testid="product-row"
        onClick=${() => nav.push({ screen: "product", id: row.id })} />`} />`;
}
