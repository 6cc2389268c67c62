// The patch plan: one row per action, grouped across nodes with a Slurm hostlist, the most risk removed first.
import { getJson } from './api.js';
import { badge, button, fmtInt, h, hostlist, route, table } from './dom.js';
import { exportButtons } from './export-buttons.js';
import type { PlanItem } from './types.js';

const PAGE = 50;
const KIND: Record<string, string> = {
  'kernel-update': 'kernel',
  'package-update': 'package',
  'rule-fix': 'configuration',
};

export async function renderPlan(
  main: HTMLElement,
  params: URLSearchParams,
  onError: (e: unknown) => void,
): Promise<void> {
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const plan = await getJson<{ total: number; items: PlanItem[] }>(
    `/api/v1/plan?limit=${PAGE}&offset=${offset}`,
  );
  main.replaceChildren(
    h('h1', {}, 'Patch plan'),
    h(
      'p',
      { class: 'muted' },
      'Each action is grouped over the nodes that need it. Order: the risk it removes across the fleet (severity weight × nodes), largest first.',
    ),
    h(
      'div',
      { class: 'pager' },
      h('span', { class: 'count' }, `${fmtInt(plan.total)} actions`),
      button(
        '← Previous',
        () => (location.hash = route('/plan', { offset: Math.max(0, offset - PAGE) || undefined })),
        offset > 0 ? '' : 'hidden',
      ),
      button(
        'Next →',
        () => (location.hash = route('/plan', { offset: offset + PAGE })),
        offset + PAGE < plan.total ? '' : 'hidden',
      ),
      exportButtons('/api/v1/plan', 'plan', onError),
    ),
    table(
      ['#', 'Kind', 'Action', 'Nodes', 'Hosts', 'Risk removed'],
      plan.items.map((i) => [
        i.rank,
        badge(KIND[i.kind] ?? i.kind, 'neutral'),
        i.title,
        h('a', { href: route('/nodes', { action: i.key }) }, fmtInt(i.nodes)),
        h(
          'span',
          {},
          hostlist(i.hostlist, i.hostlist_truncated),
          i.hostlist_excluded
            ? h(
                'span',
                { class: 'muted' },
                ` + ${i.hostlist_excluded} not plain host names (see the node table)`,
              )
            : null,
        ),
        fmtInt(i.weight),
      ]),
      'plan',
    ),
  );
}
