// Builds DOM from data with text nodes only: nothing a node reported is ever parsed as HTML.
export type Child = Node | string | number | boolean | null | undefined;

/** An element with attributes and children; links may only point inside the dashboard (#/...). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | undefined> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || k.startsWith('on')) continue;
    if (k === 'href' && !v.startsWith('#')) continue;
    el.setAttribute(k, v);
  }
  for (const c of children.flat())
    if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'object' ? c : String(c));
  return el;
}

export function button(label: string, onClick: () => void, cls = ''): HTMLButtonElement {
  const b = h('button', { type: 'button', class: cls || undefined }, label);
  b.addEventListener('click', onClick);
  return b;
}

/** A table with a header row; each row is a list of cells. */
export function table(head: string[], rows: Child[][], cls = ''): HTMLTableElement {
  return h(
    'table',
    { class: cls || undefined },
    h('thead', {}, h('tr', {}, ...head.map((x) => h('th', {}, x)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
  );
}

/** A link to a dashboard route with query parameters, encoded. */
export function route(path: string, params: Record<string, string | number | undefined> = {}): string {
  const q = new URLSearchParams();
  // An empty kernel means "release unknown", a filter of its own; other empty values mean no filter.
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && (v !== '' || k === 'kernel')) q.set(k, String(v));
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

export function badge(text: string, kind: string): HTMLSpanElement {
  return h('span', { class: `badge ${kind.replace(/[^a-z-]/g, '')}` }, text);
}

export function section(title: string, ...children: (Child | Child[])[]): HTMLElement {
  return h('section', {}, h('h2', {}, title), ...children);
}

export const fmtTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
export const fmtInt = (n: number) => n.toLocaleString('en-US');

/** A Slurm hostlist that may break after its commas only (a host name is never cut). */
export function hostlist(list: string, truncated = false): HTMLElement {
  const parts = list.split(',');
  return h(
    'code',
    { class: 'hostlist' },
    ...parts.flatMap((p, i) => (i < parts.length - 1 ? [`${p},`, h('wbr')] : [p])),
    truncated ? ' …' : '',
  );
}
