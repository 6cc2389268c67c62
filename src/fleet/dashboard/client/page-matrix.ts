// Node x runtime: one row per node (paged, the node table's filters), one column per runtime, a verdict per cell; or,
// with ?device=gpu|rdma, the nodes with that device and each runtime's readiness for it (issue 19).
import { getJson } from './api.js';
import { button, fmtInt, h, route } from './dom.js';
import { look, VERDICT_LOOK } from './verdicts.js';
import type { MatrixPage } from './types.js';

const PAGE = 200;
const DEVICES = { gpu: 'GPU', rdma: 'RDMA' } as const;

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
  const d = await getJson<MatrixPage>(`/api/v1/matrix?${api}`);
  const current = Object.fromEntries(params) as Record<string, string>;
  const device = d.device === 'gpu' || d.device === 'rdma' ? d.device : null;
  const what = device ? DEVICES[device] : null;
  // Runtimes, GPU or RDMA: the same table, the filters kept (the device filter is the view's own).
  const views = h(
    'span',
    { class: 'span-pick' },
    ...([null, 'gpu', 'rdma'] as const).map((k) =>
      h(
        'a',
        {
          href: route('/matrix', { ...current, device: k ?? undefined, offset: undefined }),
          'aria-current': k === device ? 'true' : undefined,
        },
        k ? DEVICES[k] : 'Runtimes',
      ),
    ),
  );
  const go = (o: number | undefined) => (location.hash = route('/matrix', { ...current, offset: o }));
  const to = Math.min(offset + PAGE, d.total);
  main.replaceChildren(
    h('h1', {}, what ? `Node × runtime: ${what} readiness` : 'Node × runtime', views),
    legend(),
    ...(what
      ? [
          h(
            'p',
            { class: 'note' },
            `Nodes with ${what === 'GPU' ? 'a GPU' : 'an RDMA (verbs) device'}; each cell says whether the runtime can give users the device (ready, blocked, unknown), "not installed" when the node does not have the runtime.`,
          ),
        ]
      : []),
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
              h(
                'th',
                { scope: 'col', class: 'rt' },
                device
                  ? h('a', { href: route('/nodes', { device, runtime: rt, ready: 'no' }) }, rt)
                  : h('a', { href: route('/grid', { runtime: rt }) }, rt),
              ),
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
                // A device section lists the installed runtimes only: a missing one is not installed.
                const v = r?.verdict ?? (device ? 'not-installed' : 'not-reported');
                const l = look(v);
                const words = `${l.label}${r?.why ? `: ${r.why}` : ''}`;
                return h(
                  'td',
                  { class: 'mcell', title: `${n.hostname} ${rt}${what ? ` ${what}` : ''}: ${words}` },
                  h('span', { class: `cell v-${v}`, 'aria-hidden': 'true' }, l.symbol),
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
