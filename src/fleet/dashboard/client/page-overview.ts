// The first page: summary cards, readiness per runtime, the top of the patch plan, kernels, rules, vulnerabilities.
import { getJson } from './api.js';
import { badge, fmtInt, h, route, section, table } from './dom.js';
import { exportButtons } from './export-buttons.js';
import type { PlanItem, Summary } from './types.js';

export async function renderOverview(main: HTMLElement, onError: (e: unknown) => void): Promise<void> {
  const [s, plan] = await Promise.all([
    getJson<Summary>('/api/v1/summary'),
    getJson<{ total: number; items: PlanItem[] }>('/api/v1/plan?limit=5'),
  ]);
  const card = (label: string, n: number, href: string, kind: string) =>
    h('a', { class: `card ${kind}`, href }, h('span', { class: 'num' }, fmtInt(n)), h('span', {}, label));
  const count = (n: number | undefined, href: string) => (n ? h('a', { href }, fmtInt(n)) : '0');
  main.replaceChildren(
    h('h1', {}, 'Fleet overview'),
    h(
      'div',
      { class: 'cards' },
      card('nodes reporting', s.nodes, route('/nodes'), 'neutral'),
      card('stale nodes', s.stale, route('/nodes', { stale: 1 }), s.stale ? 'warn' : 'ok'),
      card(
        'nodes failing a critical rule',
        s.critical_nodes,
        route('/nodes', { critical: 1 }),
        s.critical_nodes ? 'bad' : 'ok',
      ),
      card(
        'nodes with an affected vulnerability',
        s.vulnerable_nodes,
        route('/nodes', { vulnerable: 1 }),
        s.vulnerable_nodes ? 'bad' : 'ok',
      ),
    ),
    section(
      'Runtime readiness',
      exportButtons('/api/v1/summary/readiness', 'readiness', onError),
      table(
        ['Runtime', 'Can run', 'Cannot run', 'Unknown'],
        Object.entries(s.readiness).map(([rt, by]) => [
          rt,
          count(by.yes, route('/nodes', { runtime: rt, ready: 'yes' })),
          count(by.no, route('/nodes', { runtime: rt, ready: 'no' })),
          count(by.unknown, route('/nodes', { runtime: rt, ready: 'unknown' })),
        ]),
      ),
    ),
    section(
      'Patch plan (top 5)',
      h(
        'p',
        {},
        h('a', { href: route('/plan') }, `All ${fmtInt(plan.total)} actions, most risk removed first →`),
      ),
      table(
        ['#', 'Action', 'Nodes'],
        plan.items.map((i) => [
          i.rank,
          i.title,
          h('a', { href: route('/nodes', { action: i.key }) }, fmtInt(i.nodes)),
        ]),
      ),
    ),
    h(
      'div',
      { class: 'columns' },
      section(
        'Kernels',
        exportButtons('/api/v1/summary/kernels', 'kernels', onError),
        table(
          ['Release', 'Nodes'],
          s.kernels.map((k) => [
            k.release ?? '(unknown)',
            h('a', { href: route('/nodes', { kernel: k.release ?? '' }) }, fmtInt(k.nodes)),
          ]),
        ),
      ),
      section(
        'Top failing rules',
        exportButtons('/api/v1/summary/rules', 'rules', onError),
        table(
          ['Rule', 'Severity', 'Failing on'],
          s.rules.map((r) => [
            h('span', {}, h('code', {}, r.id), ' ', r.title),
            badge(r.severity, r.severity),
            h('a', { href: route('/nodes', { rule: r.id }) }, fmtInt(r.failing)),
          ]),
        ),
      ),
    ),
    section(
      'Vulnerabilities by affected nodes',
      exportButtons('/api/v1/summary/vulnerabilities', 'vulnerabilities', onError),
      table(
        ['Vulnerability', 'Severity', 'Affected', 'Unknown', 'Mitigated', 'Summary'],
        s.vulnerabilities.map((v) => [
          h('code', {}, v.id),
          badge(v.severity, v.severity),
          count(v.affected, route('/nodes', { vuln: v.id })),
          count(v.unknown, route('/nodes', { vuln: v.id, vuln_status: 'unknown' })),
          fmtInt(v.mitigated),
          v.summary,
        ]),
      ),
    ),
  );
}
