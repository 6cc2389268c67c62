// Renders a host report in Prometheus text format for node_exporter's textfile collector.
import type { Report } from '../evaluate/build-report.js';

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** One gauge per (label set, state) with value 0 or 1, so PromQL can count nodes in each state. */
export function renderPrometheus(r: Report): string {
  const out: string[] = [];
  const gauge = (name: string, help: string, rows: [Record<string, string>, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, v] of rows) {
      const l = Object.entries(labels)
        .map(([k, x]) => `${k}="${esc(x)}"`)
        .join(',');
      out.push(`${name}${l ? `{${l}}` : ''} ${v}`);
    }
  };
  const states = ['yes', 'no', 'unknown'];
  gauge(
    'ctrsafe_runtime_ready',
    'Whether a container runtime can start containers for ordinary users (1 for the current state).',
    r.runtimes.flatMap((rt) =>
      states.map((s): [Record<string, string>, number] => [
        { runtime: rt.id, state: s },
        rt.ready === s ? 1 : 0,
      ]),
    ),
  );
  // GPU and RDMA (issue 19): whether the node has the device, and per runtime whether it can use it.
  const acc = r.accelerators;
  gauge(
    'ctrsafe_accelerator_present',
    'Whether this node has a GPU or an RDMA (verbs) device (1 for the current state; unknown when /dev was not listed).',
    (['gpu', 'rdma'] as const).flatMap((k) =>
      states.map((s): [Record<string, string>, number] => [
        { kind: k, state: s },
        acc[k].present === s ? 1 : 0,
      ]),
    ),
  );
  gauge(
    'ctrsafe_accelerator_ready',
    'Whether a runtime can give ordinary users the GPU or RDMA device (1 for the current state; only on nodes with the device).',
    (['gpu', 'rdma'] as const).flatMap((k) =>
      acc[k].runtimes.flatMap((v) =>
        states.map((s): [Record<string, string>, number] => [
          { kind: k, runtime: v.runtime, state: s },
          v.ready === s ? 1 : 0,
        ]),
      ),
    ),
  );
  const risks = ['none', 'low', 'medium', 'high', 'critical', 'unknown'];
  gauge(
    'ctrsafe_runtime_risk',
    'Risk of offering a runtime on this host (1 for the current level).',
    r.runtimes.flatMap((rt) =>
      risks.map((s): [Record<string, string>, number] => [
        { runtime: rt.id, level: s },
        rt.risk === s ? 1 : 0,
      ]),
    ),
  );
  gauge(
    'ctrsafe_feature',
    'Kernel features container runtimes need (1 for the current state).',
    r.features.flatMap((f) =>
      states.map((s): [Record<string, string>, number] => [
        { feature: f.id, state: s },
        f.state === s ? 1 : 0,
      ]),
    ),
  );
  const sev = ['info', 'low', 'medium', 'high', 'critical'];
  gauge(
    'ctrsafe_findings_failed',
    'Failed rule findings by severity.',
    sev.map((s) => [
      { severity: s },
      r.findings.filter((f) => f.status === 'fail' && f.severity === s).length,
    ]),
  );
  const vs = ['affected', 'mitigated', 'unknown'];
  gauge(
    'ctrsafe_vulnerabilities',
    'Known vulnerabilities of installed runtimes and the kernel by status and severity.',
    vs.flatMap((st) =>
      sev
        .slice(1)
        .map((s): [Record<string, string>, number] => [
          { status: st, severity: s },
          r.vulnerabilities.filter((v) => v.status === st && v.severity === s).length,
        ]),
    ),
  );
  // A timestamp, not an age (Prometheus' naming practice, promtool: base unit seconds): the age is time() - it,
  // always current, and an empty database has no sample instead of a sentinel.
  const newest = r.advisories.newest_record ? Date.parse(r.advisories.newest_record) : NaN;
  gauge(
    'ctrsafe_advisory_newest_record_timestamp_seconds',
    'When the newest advisory record ctrsafe decided with was published or modified (Unix time).',
    Number.isFinite(newest) ? [[{}, Math.floor(newest / 1000)]] : [],
  );
  gauge('ctrsafe_check_timestamp_seconds', 'When this report was generated (Unix time).', [
    [{}, Math.floor(Date.parse(r.generated_at) / 1000)],
  ]);
  return out.join('\n') + '\n';
}
