// SVG as text, escaped: the few helpers every server-rendered chart shares (no DOM, no style attributes).

/** Escapes text and attribute values (XML 1.0 section 2.4; quotes for attributes). */
export const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Numbers as attributes: one decimal at most, never "NaN" (a chart from empty data is still valid SVG). */
export const px = (n: number): string => (Number.isFinite(n) ? String(Math.round(n * 10) / 10) : '0');

type Attrs = Record<string, string | number | undefined>;

/** An element; attribute values are escaped, children are SVG text already. No style attribute: the CSP refuses it. */
export function el(tag: string, attrs: Attrs, ...children: string[]): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? px(v) : esc(v!)}"`)
    .join('');
  return children.length ? `<${tag}${a}>${children.join('')}</${tag}>` : `<${tag}${a}/>`;
}

/** A text element; its content is escaped. */
export const text = (attrs: Attrs, s: string): string => el('text', attrs, esc(s));

/** A tooltip: the browser shows an element's first <title> child on hover (SVG 2, section 5.9). */
export const tip = (s: string): string => el('title', {}, esc(s));

/** Average advance of a character: monospace is exact at 0.6 em (Liberation Mono); sans-serif about 0.56 em. */
export const textWidth = (s: string, size: number, mono = false): number =>
  s.length * size * (mono ? 0.6 : 0.56);

/** Cuts text to fit `maxPx`, ending in "…"; a name is shown whole or visibly cut, never wrapped. */
export function fit(s: string, maxPx: number, size: number, mono = false): string {
  if (textWidth(s, size, mono) <= maxPx) return s;
  const n = Math.max(1, Math.floor(maxPx / (size * (mono ? 0.6 : 0.56))) - 1);
  return `${s.slice(0, n)}…`;
}

/** Only ids the chart itself made: letters, digits and "-" (they prefix pattern ids, unique on the page). */
export const safeId = (s: string): string => s.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 40);

/**
 * The outer element: an image with a title and a description (its text alternative, read by screen readers);
 * width and height are the viewBox, the page's stylesheet scales it to its box.
 */
export function svgRoot(
  o: { id: string; width: number; height: number; title: string; desc: string },
  ...body: string[]
): string {
  const id = safeId(o.id);
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      viewBox: `0 0 ${px(o.width)} ${px(o.height)}`,
      width: o.width,
      height: o.height,
      role: 'img',
      'aria-labelledby': `${id}-title ${id}-desc`,
      class: 'chart',
      'font-family': 'Liberation Sans, system-ui, sans-serif',
      'font-size': 12,
    },
    el('title', { id: `${id}-title` }, esc(o.title)),
    el('desc', { id: `${id}-desc` }, esc(o.desc)),
    ...body,
  );
}

/** A link inside the dashboard only (#/...); anything else is dropped and the content shown unlinked. */
export const link = (href: string | undefined, ...children: string[]): string =>
  href && href.startsWith('#/') ? el('a', { href }, ...children) : children.join('');

export const pct = (n: number, total: number): string =>
  total > 0 ? `${Math.round((1000 * n) / total) / 10}%` : '0%';
