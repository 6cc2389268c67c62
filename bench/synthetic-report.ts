// Synthetic node reports for the fleet benchmarks: valid ctrsafe.report/1 with findings and vulnerabilities.
import { RUNTIME_IDS } from '../src/runtimes/locations.js';

const READY = ['yes', 'no', 'unknown'];

export const syntheticHostname = (i: number) => `node${String(i).padStart(6, '0')}`;

/** Node i's report in round r: from round 1 on, odd nodes change readiness and every tenth its kernel. */
export function syntheticReport(i: number, round: number): Record<string, unknown> {
  const shift = round > 0 && i % 2 === 1 ? 1 : 0;
  return {
    schema: 'ctrsafe.report/1',
    report_id: `bench-${round}-${i}`,
    generated_at: new Date(Date.UTC(2026, 10, 1) + round * 3600_000 + i).toISOString(),
    host: {
      hostname: syntheticHostname(i),
      kernel: {
        release: `5.14.0-${427 + (i % 7) + (round > 0 && i % 10 === 0 ? 100 : 0)}.el9.x86_64`,
        distro_kernel: true,
      },
      os: { id: 'rocky', version_id: '9.4' },
    },
    runtimes: RUNTIME_IDS.map((id, k) => ({ id, ready: READY[(i + k + shift) % 3]!, risk: 'low' })),
    findings: Array.from({ length: 30 }, (_, k) => ({
      id: `CS-X${k}`,
      severity: 'medium',
      status: k % 5 ? 'pass' : 'fail',
    })),
    vulnerabilities: Array.from({ length: 5 }, (_, k) => ({
      id: `CVE-2024-${1000 + ((i + k) % 40)}`,
      status: (i + round) % 4 ? 'affected' : 'unknown',
      severity: 'high',
    })),
  };
}
