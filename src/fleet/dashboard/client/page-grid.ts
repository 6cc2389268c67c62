// The partition grid: every node a small cell by its verdict for one runtime, grouped by Slurm partition. One tab
// stop per partition, the arrow keys move between cells (WAI-ARIA APG, roving tabindex); the focused or hovered
// node is named with its reason in a live line under the grid.
import { getJson } from './api.js';
import { fmtInt, h, route } from './dom.js';
import { legend } from './page-matrix.js';
import { look } from './verdicts.js';
import type { PartitionGrid } from './types.js';

export async function renderGrid(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const q = new URLSearchParams();
  const wanted = params.get('runtime');
  if (wanted) q.set('runtime', wanted);
  const [g, runtimes] = await Promise.all([
    getJson<PartitionGrid>(`/api/v1/grid?${q}`),
    getJson<Record<string, unknown>>('/api/v1/summary/readiness'),
  ]);
  const info = h(
    'p',
    { class: 'grid-info', 'aria-live': 'polite' },
    'Hover over or focus a node to name it.',
  );
  const describe = (hostname: string, v: number, w: number) =>
    `${hostname}: ${g.runtime} ${look(g.verdicts[v]).label}${w >= 0 ? ` — ${g.reasons[w]}` : ''}`;
  const pick = h(
    'select',
    { name: 'runtime', 'aria-label': 'Runtime' },
    ...Object.keys(runtimes).map((rt) => h('option', { value: rt }, rt)),
  );
  pick.value = g.runtime;
  pick.addEventListener('change', () => (location.hash = route('/grid', { runtime: pick.value })));
  const grids = g.partitions.map((p) => {
    const cells = p.nodes.map(([hostname, v, w], i) => {
      const words = describe(hostname, v, w);
      const a = h(
        'a',
        {
          class: `cell v-${g.verdicts[v] ?? 'not-reported'}`,
          href: route(`/node/${encodeURIComponent(hostname)}`),
          title: words,
          'aria-label': words,
          tabindex: i === 0 ? '0' : '-1',
        },
        look(g.verdicts[v]).symbol,
      );
      a.addEventListener('focus', () => (info.textContent = words));
      a.addEventListener('mouseenter', () => (info.textContent = words));
      return a;
    });
    const box = h(
      'div',
      { class: 'grid-cells', role: 'group', 'aria-label': `Partition ${p.name}` },
      ...cells,
    );
    box.addEventListener('keydown', (e) => {
      const at = cells.indexOf(document.activeElement as HTMLAnchorElement);
      if (at < 0) return;
      const perRow = Math.max(1, Math.round(box.clientWidth / (cells[0]!.offsetWidth + 3)));
      const next =
        e.key === 'ArrowRight'
          ? at + 1
          : e.key === 'ArrowLeft'
            ? at - 1
            : e.key === 'ArrowDown'
              ? at + perRow
              : e.key === 'ArrowUp'
                ? at - perRow
                : e.key === 'Home'
                  ? 0
                  : e.key === 'End'
                    ? cells.length - 1
                    : null;
      if (next === null) return;
      e.preventDefault();
      const to = cells[Math.min(cells.length - 1, Math.max(0, next))]!;
      cells[at]!.tabIndex = -1;
      to.tabIndex = 0;
      to.focus();
    });
    const counts = Object.entries(p.counts)
      .map(([v, n]) => `${fmtInt(n)} ${look(v).label}`)
      .join(', ');
    return h(
      'section',
      { class: 'partition' },
      h(
        'h2',
        {},
        h('a', { href: route('/matrix', { partition: p.name }) }, p.name),
        ' ',
        h('span', { class: 'muted' }, `${fmtInt(p.nodes.length)} nodes: ${counts}`),
      ),
      box,
    );
  });
  main.replaceChildren(
    h('h1', {}, 'Partitions'),
    h('div', { class: 'filters' }, h('label', {}, 'Coloured by the verdict of', pick), legend()),
    info,
    ...grids,
  );
}
