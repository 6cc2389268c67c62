// One node: its facts, runtimes, GPU and RDMA readiness, needed actions, failing rules, vulnerabilities and history of
// changes.
import { download, getJson } from './api.js';
import { badge, button, fmtTime, h, route, section, table } from './dom.js';
import { driftView } from './drift-view.js';
import type { NodeDetail } from './types.js';

/** Reads a list of objects out of the untrusted report, never more than `max`. */
function list(v: unknown, max = 2000): Record<string, unknown>[] {
  return Array.isArray(v)
    ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null).slice(0, max)
    : [];
}
const text = (v: unknown) =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';

/** The first reason shown, the rest folded: a runtime has up to a dozen. */
function reasons(v: unknown): HTMLElement {
  const all = (Array.isArray(v) ? (v as unknown[]) : []).slice(0, 30).map(text);
  return h(
    'details',
    {},
    h('summary', {}, all[0] ?? ''),
    h('ul', {}, ...all.slice(1).map((s) => h('li', {}, s))),
  );
}

const readyBadge = (v: unknown) =>
  badge(text(v), text(v) === 'yes' ? 'ok' : text(v) === 'no' ? 'bad' : 'warn');

/**
 * The report's GPU and RDMA section (issue 19): per device what the node has, each runtime's readiness with its
 * reasons and fixes, and the notes; the matrix's GPU and RDMA views link here. A report from before the section
 * says so rather than "no device".
 */
function accelerators(v: unknown): HTMLElement {
  const a = typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  if (!a) return section('GPU and RDMA', h('p', { class: 'muted' }, 'Not in this report.'));
  const kinds = (['gpu', 'rdma'] as const).map((k): [string, Record<string, unknown>] => [
    k === 'gpu' ? 'GPU' : 'RDMA',
    typeof a[k] === 'object' && a[k] !== null ? (a[k] as Record<string, unknown>) : {},
  ]);
  const notes = (x: Record<string, unknown>) =>
    [x.problems, x.notes]
      .flatMap((v): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []))
      .slice(0, 30)
      .map(text);
  return section(
    'GPU and RDMA',
    h(
      'dl',
      { class: 'facts' },
      ...kinds.flatMap(([label, x]) => [h('dt', {}, label), h('dd', {}, text(x.summary) || '(unknown)')]),
    ),
    table(
      ['Device', 'Runtime', 'Ready', 'Why', 'What to change'],
      kinds.flatMap(([label, x]) =>
        list(x.runtimes, 20).map((r) => [
          label,
          text(r.runtime),
          readyBadge(r.ready),
          reasons(r.reasons),
          h(
            'ul',
            {},
            ...(Array.isArray(r.remediation) ? (r.remediation as unknown[]) : [])
              .slice(0, 10)
              .map((s) => h('li', {}, text(s))),
          ),
        ]),
      ),
    ),
    ...kinds
      .filter(([, x]) => notes(x).length > 0)
      .map(([label, x]) =>
        h(
          'details',
          {},
          h('summary', {}, `${label} notes`),
          h('ul', {}, ...notes(x).map((s) => h('li', {}, s))),
        ),
      ),
  );
}

export async function renderNode(
  main: HTMLElement,
  hostname: string,
  onError: (e: unknown) => void,
): Promise<void> {
  const path = `/api/v1/nodes/${encodeURIComponent(hostname)}`;
  const d = await getJson<NodeDetail>(path);
  const r = d.report;
  // Installed runtimes first; the others are judged as a default install would be.
  const runtimes = list(r.runtimes).sort(
    (a, b) => Number(b.installed === true) - Number(a.installed === true),
  );
  const fails = list(r.findings).filter((f) => f.status === 'fail');
  const vulns = list(r.vulnerabilities).filter((v) => v.status !== 'mitigated');
  main.replaceChildren(
    h('p', {}, h('a', { href: route('/nodes') }, '← Nodes')),
    h('h1', {}, d.row.hostname, ' ', d.stale ? badge('stale', 'warn') : null),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Kernel'),
      h('dd', {}, h('code', {}, d.row.kernel_release ?? '(unknown)')),
      h('dt', {}, 'OS'),
      h('dd', {}, d.row.os ?? '(unknown)'),
      h('dt', {}, 'Report generated'),
      h('dd', {}, fmtTime(d.row.generated_at)),
      h('dt', {}, 'Received'),
      h('dd', {}, fmtTime(d.row.received_at)),
      h('dt', {}, 'Report id'),
      h('dd', {}, h('code', {}, d.row.report_id)),
    ),
    button(
      'Download report (JSON)',
      () =>
        void download(path, `ctrsafe-${d.row.hostname.replace(/[^A-Za-z0-9._-]/g, '_')}.json`).catch(onError),
      'small',
    ),
    section(
      'What to do on this node',
      table(
        ['Action', 'Risk removed'],
        d.actions.map((a) => [h('a', { href: route('/nodes', { action: a.key }) }, a.title), a.weight]),
      ),
    ),
    section(
      'Failing rules',
      table(
        ['Rule', 'Severity', 'Evidence', 'Remediation'],
        fails.map((f) => [
          h('span', {}, h('code', {}, text(f.id)), ' ', text(f.title)),
          badge(text(f.severity), text(f.severity)),
          text(f.evidence),
          text(f.remediation),
        ]),
      ),
    ),
    section(
      'Vulnerabilities (affected or unknown)',
      table(
        ['Id', 'Severity', 'Status', 'Package', 'Installed', 'Fixed in', 'Why'],
        vulns.map((v) => [
          h('code', {}, text(v.id)),
          badge(text(v.severity), text(v.severity)),
          badge(text(v.status), text(v.status) === 'affected' ? 'bad' : 'warn'),
          text(v.package),
          text(v.installed_version),
          text(v.fixed_version) || '—',
          text(v.reason),
        ]),
      ),
    ),
    section(
      'Runtimes',
      table(
        ['Runtime', 'Installed', 'Mode', 'Can run', 'Risk', 'Why'],
        runtimes.map((x) => [
          text(x.name) || text(x.id),
          x.installed === true ? text(x.version) || 'yes' : 'no',
          text(x.mode ?? x.judged_mode),
          readyBadge(x.ready),
          badge(text(x.risk), text(x.risk)),
          reasons(x.reasons),
        ]),
      ),
    ),
    accelerators(r.accelerators),
    section(
      'History',
      driftView(
        d.transitions.map((t) => ({ ...t, hostname: d.row.hostname })),
        false,
      ),
    ),
  );
}
