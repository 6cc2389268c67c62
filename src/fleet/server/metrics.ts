// Prometheus text exposition (format 0.0.4) of the fleet summary: snake_case names, a ctrsafe_ prefix, unit-free gauges.
import type { Summary } from '../../schema/fleet-api.js';

/** Label values escape backslash, double quote and newline (Prometheus exposition format). */
const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function renderFleetMetrics(s: Summary): string {
  const out = [
    '# HELP ctrsafe_fleet_nodes Nodes with a stored report.',
    '# TYPE ctrsafe_fleet_nodes gauge',
    `ctrsafe_fleet_nodes ${s.nodes}`,
    '# HELP ctrsafe_fleet_stale_nodes Nodes without a report within the staleness interval.',
    '# TYPE ctrsafe_fleet_stale_nodes gauge',
    `ctrsafe_fleet_stale_nodes ${s.stale}`,
    '# HELP ctrsafe_fleet_runtime_ready_nodes Nodes by runtime and readiness.',
    '# TYPE ctrsafe_fleet_runtime_ready_nodes gauge',
  ];
  for (const [rt, by] of Object.entries(s.readiness))
    for (const [ready, n] of Object.entries(by))
      out.push(`ctrsafe_fleet_runtime_ready_nodes{runtime="${esc(rt)}",ready="${esc(ready)}"} ${n}`);
  out.push(
    "# HELP ctrsafe_fleet_runtime_verdict_nodes Nodes by runtime and the dashboard's verdict (ready, degraded, blocked, unknown, not-installed).",
    '# TYPE ctrsafe_fleet_runtime_verdict_nodes gauge',
  );
  for (const [rt, by] of Object.entries(s.verdicts))
    for (const [verdict, n] of Object.entries(by))
      out.push(`ctrsafe_fleet_runtime_verdict_nodes{runtime="${esc(rt)}",verdict="${esc(verdict)}"} ${n}`);
  out.push(
    '# HELP ctrsafe_fleet_severity_affected_nodes Nodes with at least one affected vulnerability of each severity.',
    '# TYPE ctrsafe_fleet_severity_affected_nodes gauge',
  );
  for (const [severity, n] of Object.entries(s.severity_nodes))
    out.push(`ctrsafe_fleet_severity_affected_nodes{severity="${esc(severity)}"} ${n}`);
  // GPU and RDMA (issue 19), the same labels as check's ctrsafe_accelerator_* gauges: kind, runtime, state.
  out.push(
    '# HELP ctrsafe_fleet_accelerator_present_nodes Nodes by device kind (gpu, rdma) and whether the device is present (yes, no, unknown).',
    '# TYPE ctrsafe_fleet_accelerator_present_nodes gauge',
  );
  for (const [kind, a] of Object.entries(s.accelerators))
    for (const [state, n] of Object.entries(a.present))
      out.push(`ctrsafe_fleet_accelerator_present_nodes{kind="${esc(kind)}",state="${esc(state)}"} ${n}`);
  out.push(
    '# HELP ctrsafe_fleet_accelerator_ready_nodes Nodes with the device by kind, runtime and readiness for it (yes, no, unknown).',
    '# TYPE ctrsafe_fleet_accelerator_ready_nodes gauge',
  );
  for (const [kind, a] of Object.entries(s.accelerators))
    for (const [rt, by] of Object.entries(a.ready))
      for (const [state, n] of Object.entries(by))
        out.push(
          `ctrsafe_fleet_accelerator_ready_nodes{kind="${esc(kind)}",runtime="${esc(rt)}",state="${esc(state)}"} ${n}`,
        );
  out.push(
    '# HELP ctrsafe_fleet_vulnerability_affected_nodes Nodes affected by each known vulnerability.',
    '# TYPE ctrsafe_fleet_vulnerability_affected_nodes gauge',
  );
  for (const v of s.vulnerabilities)
    out.push(
      `ctrsafe_fleet_vulnerability_affected_nodes{id="${esc(v.id)}",severity="${esc(v.severity)}"} ${v.affected}`,
    );
  return out.join('\n') + '\n';
}
