// Reports for load tests against the real server: node `h` of a named set, report `seq`, a later seq a later report.
import { validateReport } from '../../src/fleet/validate-report.js';
import { RUNTIME_IDS } from '../../src/runtimes/locations.js';

/** Fixed for the process, so a report built again has the time it had when it was sent; an hour back leaves room. */
const T0 = Date.now() - 3600_000;

/** Node `h` of the set `prefix`: pg000, dur017. */
export const loadHost = (prefix: string, h: number) => `${prefix}${String(h).padStart(3, '0')}`;

/**
 * Report `seq` of node `h` (id `PREFIX-H-SEQ`, a second after report seq-1): the kernel, readiness, failing rules and
 * affected vulnerabilities change with seq, so a later report changes the node's state and the fleet's counters.
 */
export function loadReport(prefix: string, h: number, seq: number) {
  const raw = {
    schema: 'ctrsafe.report/1',
    report_id: `${prefix}-${h}-${seq}`,
    generated_at: new Date(T0 + seq * 1000).toISOString(),
    host: {
      hostname: loadHost(prefix, h),
      kernel: { release: `5.14.0-${427 + (seq % 3)}.el9.x86_64`, distro_kernel: true },
      os: { id: 'rocky', version_id: '9.4' },
    },
    runtimes: RUNTIME_IDS.map((id, k) => ({
      id,
      ready: ['yes', 'no', 'unknown'][(h + k + seq) % 3]!,
      risk: 'low',
    })),
    findings: Array.from({ length: 30 }, (_, k) => ({
      id: `CS-X${k}`,
      severity: 'medium',
      status: (k + seq) % 5 ? 'pass' : 'fail',
    })),
    vulnerabilities: Array.from({ length: 5 }, (_, k) => ({
      id: `CVE-2024-${1000 + ((h + k) % 40)}`,
      status: (h + seq) % 4 ? 'affected' : 'unknown',
      severity: 'high',
    })),
  };
  const v = validateReport(raw);
  if (!v.ok) throw new Error(v.reason);
  return raw;
}
