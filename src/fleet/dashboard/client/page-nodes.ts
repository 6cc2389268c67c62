// The node table: filters in the URL, server-side paging (100 rows a page), exports of the filtered table.
import { getJson } from './api.js';
import { badge, button, fmtInt, fmtTime, h, route, table } from './dom.js';
import { exportButtons } from './export-buttons.js';
import type { NodeRow } from './types.js';

const PAGE = 100;
const TEXT_FILTERS = [
  'search',
  'kernel',
  'rule',
  'vuln',
  'vuln_status',
  'action',
  'verdict',
  'partition',
  'device',
] as const;
/** Filters that arrive by a link (a chart part, a rule, a plan step, a GPU matrix column) and stay until cleared. */
const LINKED = ['rule', 'vuln', 'vuln_status', 'action', 'verdict', 'partition', 'device'];
const FLAGS = [
  ['stale', 'stale only'],
  ['critical', 'failing a critical rule'],
  ['vulnerable', 'with an affected vulnerability'],
] as const;

export async function renderNodes(
  main: HTMLElement,
  params: URLSearchParams,
  onError: (e: unknown) => void,
): Promise<void> {
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const api = new URLSearchParams(params);
  api.set('limit', String(PAGE));
  api.set('offset', String(offset));
  const [page, readiness] = await Promise.all([
    getJson<{ total: number; nodes: NodeRow[]; stale_before: number }>(`/api/v1/nodes?${api}`),
    getJson<Record<string, unknown>>('/api/v1/summary/readiness'),
  ]);
  const current = Object.fromEntries(params) as Record<string, string>;
  const go = (over: Record<string, string | number | undefined>) => {
    location.hash = route('/nodes', { ...current, ...over });
  };

  const input = (name: string, label: string) =>
    h('label', {}, label, h('input', { name, value: params.get(name) ?? '', size: '18' }));
  const select = (name: string, label: string, options: string[]) => {
    const s = h(
      'select',
      { name },
      h('option', { value: '' }, 'any'),
      ...options.map((o) => h('option', { value: o }, o)),
    );
    s.value = params.get(name) ?? '';
    return h('label', {}, label, s);
  };
  const form = h(
    'form',
    { class: 'filters' },
    input('search', 'Host name'),
    input('kernel', 'Kernel'),
    select('runtime', 'Runtime', Object.keys(readiness)),
    select('ready', 'Can run', ['yes', 'no', 'unknown']),
    ...FLAGS.map(([name, label]) => {
      const c = h('input', { type: 'checkbox', name, value: '1' });
      c.checked = params.get(name) === '1';
      return h('label', { class: 'check' }, c, label);
    }),
    select('sort', 'Sort by', ['hostname', 'risk', 'received']),
    h('button', { type: 'submit' }, 'Filter'),
    button('Clear', () => (location.hash = route('/nodes'))),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next: Record<string, string> = {};
    for (const [k, v] of new FormData(form)) if (typeof v === 'string' && v !== '') next[k] = v;
    // Filters that came from links (rule, vulnerability, action) stay until cleared.
    for (const k of LINKED) if (current[k]) next[k] = current[k]!;
    location.hash = route('/nodes', next);
  });
  const chips = TEXT_FILTERS.filter((k) => LINKED.includes(k) && params.get(k)).map((k) =>
    h(
      'span',
      { class: 'chip' },
      `${k}: ${params.get(k)}`,
      button('×', () => go({ [k]: undefined, offset: undefined }), 'chip-x'),
    ),
  );
  const from = page.total ? offset + 1 : 0;
  const to = Math.min(offset + PAGE, page.total);
  main.replaceChildren(
    h('h1', {}, 'Nodes'),
    form,
    h('div', { class: 'chips' }, ...chips),
    h(
      'div',
      { class: 'pager' },
      h('span', { class: 'count' }, `${fmtInt(from)}–${fmtInt(to)} of ${fmtInt(page.total)} nodes`),
      button(
        '← Previous',
        () => go({ offset: Math.max(0, offset - PAGE) || undefined }),
        offset > 0 ? '' : 'hidden',
      ),
      button('Next →', () => go({ offset: offset + PAGE }), to < page.total ? '' : 'hidden'),
      exportButtons(`/api/v1/nodes?${api}`, 'nodes', onError),
    ),
    table(
      ['Host', 'Kernel', 'OS', 'Critical', 'High', 'Vulns', 'Last report'],
      page.nodes.map((n) => [
        h('a', { href: route(`/node/${encodeURIComponent(n.hostname)}`) }, n.hostname),
        h('code', {}, n.kernel_release ?? '(unknown)'),
        n.os ?? '',
        n.fail_critical ? badge(String(n.fail_critical), 'critical') : '0',
        n.fail_high ? badge(String(n.fail_high), 'high') : '0',
        n.vulns_affected ? badge(String(n.vulns_affected), 'high') : '0',
        h(
          'span',
          {},
          fmtTime(n.generated_at),
          n.generated_at < page.stale_before ? badge('stale', 'warn') : null,
        ),
      ]),
      'nodes',
    ),
  );
}
