// Puts a server-drawn chart into the page: parsed as XML, then only known SVG elements and attributes are kept.
import { h, hostlist, table, type Child } from './dom.js';
import type { Cell, ChartPanel } from './types.js';

const ELEMENTS = new Set([
  'svg',
  'g',
  'title',
  'desc',
  'defs',
  'pattern',
  'rect',
  'path',
  'circle',
  'line',
  'polyline',
  'text',
  'tspan',
  'a',
]);
const ATTRIBUTES = new Set([
  'xmlns',
  'viewBox',
  'width',
  'height',
  'role',
  'aria-labelledby',
  'aria-label',
  'class',
  'id',
  'font-family',
  'font-size',
  'font-weight',
  'x',
  'y',
  'x1',
  'y1',
  'x2',
  'y2',
  'cx',
  'cy',
  'r',
  'd',
  'points',
  'fill',
  'stroke',
  'stroke-width',
  'stroke-opacity',
  'paint-order',
  'stroke-dasharray',
  'opacity',
  'text-anchor',
  'pointer-events',
  'patternUnits',
  'href',
  'tabindex',
]);

/**
 * The server escapes every string it draws, and the page's CSP refuses inline script and style anyway; this
 * allowlist is the third wall: an element or attribute the charts never make (script, foreignObject, on*, style,
 * a link out of the dashboard, a fill from another document) is dropped before the SVG reaches the page.
 */
function clean(node: Element): void {
  for (const child of [...node.children]) {
    if (!ELEMENTS.has(child.localName) || child.namespaceURI !== 'http://www.w3.org/2000/svg') {
      child.remove();
      continue;
    }
    for (const a of [...child.attributes]) {
      const ok =
        ATTRIBUTES.has(a.name) &&
        !(a.name === 'href' && !a.value.startsWith('#/')) &&
        !(a.name === 'fill' && a.value.includes('(') && !/^url\(#[A-Za-z0-9-]+\)$/.test(a.value));
      if (!ok) child.removeAttribute(a.name);
    }
    clean(child);
  }
}

export function importSvg(svg: string): SVGSVGElement | null {
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  const root = doc.documentElement;
  if (root.localName !== 'svg' || doc.getElementsByTagName('parsererror').length) return null;
  const holder = doc.createElementNS('http://www.w3.org/2000/svg', 'g');
  holder.append(root);
  clean(holder);
  const out = holder.firstElementChild;
  return out ? (document.importNode(out, true) as SVGSVGElement) : null;
}

const cell = (c: Cell): Child =>
  typeof c !== 'object'
    ? c
    : c.href
      ? h('a', { href: c.href, class: c.code ? 'nowrap mono' : 'nowrap' }, c.text)
      : c.hostlist
        ? hostlist(c.text)
        : c.code
          ? h('code', {}, c.text)
          : c.text;

/** A chart with its title, the SVG (an image with a text alternative) and the table behind it, folded. */
export function chartPanel(c: ChartPanel, extra: Child = null): HTMLElement {
  const svg = importSvg(c.svg);
  return h(
    'section',
    { class: 'chart-panel', id: `chart-${c.id}` },
    h('h2', {}, c.title, extra ? ' ' : '', extra),
    svg ?? h('p', { class: 'error' }, 'This chart could not be drawn; its table follows.'),
    h(
      'details',
      { class: 'chart-table' },
      h('summary', {}, 'Table'),
      table(
        c.columns,
        c.rows.map((r) => r.map(cell)),
      ),
    ),
  );
}
