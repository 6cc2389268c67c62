// Node x runtime: one row per node (paged, the node table's filters), one column per runtime, a verdict per cell.
import { getJson } from './api.js';
import { button, fmtInt, h, route } from './dom.js';
import { look, VERDICT_LOOK } from './verdicts.js';
import type { NodeView } from './types.js';

const PAGE = 200;

export function legend(): HTMLElement {
  return h(
    'ul',
    { class: 'verdict-legend', 'aria-label': 'Legend' },
    ...Object.entries(VERDICT_LOOK).map(([v, l]) =>
      h('li', {}, h('span', { class: `cell v-${v}`, 'aria-hidden': 'true' }, l.symbol), l.label),
    ),
  );
}

export async function renderMatrix(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const api = new URLSearchParams(params);
  api.set('limit', String(PAGE));
  api.set('offset', String(offset));
  const d = await getJson<{ total: number; runtimes: string[]; nodes: NodeView[] }>(`/api/v1/matrix?${api}`);
  const current = Object.fromEntries(params) as Record<string, string>;
  const go = (o: number | undefined) => (location.hash = route('/matrix', { ...current, offset: o }));
  const to = Math.min(offset + PAGE, d.total);
  main.replaceChildren(
    h('h1', {}, 'Node × runtime'),
    legend(),
    h(
      'div',
      { class: 'pager' },
      h(
        'span',
        { class: 'count' },
        `${fmtInt(d.total ? offset + 1 : 0)}–${fmtInt(to)} of ${fmtInt(d.total)} nodes`,
      ),
      button('← Previous', () => go(Math.max(0, offset - PAGE) || undefined), offset > 0 ? '' : 'hidden'),
      button('Next →', () => go(offset + PAGE), to < d.total ? '' : 'hidden'),
    ),
    h(
      'section',
      { class: 'matrix-box' },
      h(
        'table',
        { class: 'matrix' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Node'),
            h('th', { scope: 'col' }, 'Partitions'),
            ...d.runtimes.map((rt) =>
              h('th', { scope: 'col' }, h('a', { href: route('/grid', { runtime: rt }) }, rt)),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          ...d.nodes.map((n) =>
            h(
              'tr',
              {},
              h(
                'th',
                { scope: 'row' },
                h(
                  'a',
                  { class: 'nowrap', href: route(`/node/${encodeURIComponent(n.hostname)}`) },
                  n.hostname,
                ),
              ),
              h('td', { class: 'nowrap' }, n.partitions.join(', ')),
              ...d.runtimes.map((rt) => {
                const r = n.runtimes[rt];
                const l = look(r?.verdict);
                const words = `${l.label}${r?.why ? `: ${r.why}` : ''}`;
                return h(
                  'td',
                  { class: 'mcell', title: `${n.hostname} ${rt}: ${words}` },
                  h(
                    'span',
                    { class: `cell v-${r?.verdict ?? 'not-reported'}`, 'aria-hidden': 'true' },
                    l.symbol,
                  ),
                  h('span', { class: 'sr-only' }, words),
                );
              }),
            ),
          ),
        ),
      ),
    ),
  );
}
