// The first page, one wall screen: counts, the charts the server drew, then the rules and vulnerabilities tables.
import { getJson } from './api.js';
import { badge, fmtInt, h, route, section, table } from './dom.js';
import { exportButtons } from './export-buttons.js';
import { chartPanel } from './svg-chart.js';
import type { Overview, Summary } from './types.js';

/** Below the charts the vulnerability table shows this many rows; its export and the node filters have them all. */
const VULN_ROWS = 25;

export async function renderOverview(
  main: HTMLElement,
  params: URLSearchParams,
  onError: (e: unknown) => void,
): Promise<void> {
  const days = params.get('days') === '90' ? 90 : 30;
  const [o, s] = await Promise.all([
    getJson<Overview>(`/api/v1/overview?days=${days}`),
    getJson<Summary>('/api/v1/summary'),
  ]);
  const card = (label: string, n: number, href: string, kind: string) =>
    h('a', { class: `card ${kind}`, href }, h('span', { class: 'num' }, fmtInt(n)), h('span', {}, label));
  const count = (n: number | undefined, href: string) => (n ? h('a', { href }, fmtInt(n)) : '0');
  // The trends' window: 30 or 90 days, a link each (the current one marked for screen readers too).
  const span = () =>
    h(
      'span',
      { class: 'span-pick' },
      ...[30, 90].map((n) =>
        h(
          'a',
          { href: route('/', { days: n }), 'aria-current': n === days ? 'true' : undefined },
          `${n} days`,
        ),
      ),
    );
  const chart = (id: string) => {
    const c = o.charts.find((x) => x.id === id);
    return c ? chartPanel(c, id.startsWith('trend-') ? span() : null) : null;
  };
  main.replaceChildren(
    h('h1', { class: 'sr-only' }, 'Fleet overview'),
    h(
      'div',
      { class: 'cards' },
      card('nodes reporting', o.nodes, route('/nodes'), 'neutral'),
      card('stale nodes', o.stale, route('/nodes', { stale: 1 }), o.stale ? 'warn' : 'ok'),
      card(
        'nodes failing a critical rule',
        o.critical_nodes,
        route('/nodes', { critical: 1 }),
        o.critical_nodes ? 'bad' : 'ok',
      ),
      card(
        'nodes with an affected vulnerability',
        o.vulnerable_nodes,
        route('/nodes', { vulnerable: 1 }),
        o.vulnerable_nodes ? 'bad' : 'ok',
      ),
    ),
    h(
      'div',
      { class: 'charts' },
      h('div', { class: 'chart-column' }, chart('readiness'), chart('severity')),
      h('div', { class: 'chart-column' }, chart('kernels'), chart('trend-readiness')),
      h('div', { class: 'chart-column' }, chart('plan'), chart('trend-affected')),
    ),
    h(
      'div',
      { class: 'columns' },
      section(
        'Top failing rules',
        exportButtons('/api/v1/summary/rules', 'rules', onError),
        table(
          ['Rule', 'Severity', 'Failing on'],
          s.rules.map((r) => [
            h('span', {}, h('code', { class: 'nowrap' }, r.id), ' ', r.title),
            badge(r.severity, r.severity),
            h('a', { href: route('/nodes', { rule: r.id }) }, fmtInt(r.failing)),
          ]),
        ),
      ),
      section(
        `Vulnerabilities by affected nodes (top ${Math.min(VULN_ROWS, s.vulnerabilities.length)} of ${s.vulnerabilities.length})`,
        exportButtons('/api/v1/summary/vulnerabilities', 'vulnerabilities', onError),
        table(
          ['Vulnerability', 'Severity', 'Affected', 'Unknown', 'Summary'],
          s.vulnerabilities
            .slice(0, VULN_ROWS)
            .map((v) => [
              h('code', { class: 'nowrap' }, v.id),
              badge(v.severity, v.severity),
              count(v.affected, route('/nodes', { vuln: v.id })),
              count(v.unknown, route('/nodes', { vuln: v.id, vuln_status: 'unknown' })),
              v.summary,
            ]),
        ),
      ),
    ),
  );
}
