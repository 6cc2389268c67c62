// The fleet patch plan groups nodes by "update the kernel to at least X (advisory Y)" with their Slurm hostlist,
// known-exploited vulnerabilities first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  actionsForReport,
  KNOWN_EXPLOITED_WEIGHT,
  SEVERITY_WEIGHT,
} from '../../../src/fleet/plan/node-actions.js';
import { openStore } from '../../../src/fleet/store/open-store.js';
import { validateReport, type NodeReport } from '../../../src/fleet/validate-report.js';

let seq = 0;
function node(host: string, release: string, vulns: Record<string, unknown>[]): NodeReport {
  const raw = {
    schema: 'ctrsafe.report/1',
    report_id: `r-${host}-${++seq}`,
    generated_at: new Date(Date.UTC(2026, 10, 1, 0, 0, seq)).toISOString(),
    host: {
      hostname: host,
      kernel: { release, distro_kernel: true },
      os: { id: 'rocky', version_id: '8.9' },
    },
    runtimes: [],
    findings: [],
    vulnerabilities: vulns,
  };
  const v = validateReport(raw);
  assert.ok(v.ok, v.ok ? '' : v.reason);
  return v.report;
}

// advisory-sources.md: CVE-2024-1086 fixed in 4.18.0-513.24.1.el8_9 (ALSA-2024:1607), CVE-2023-0386 in 4.18.0-425.19.2.el8_7.
const kernelVuln = (
  id: string,
  installed: string,
  fixed: string | null,
  advisory: string | null,
  kev = false,
) => ({
  id,
  status: 'affected',
  severity: 'high',
  target: 'kernel',
  package: 'AlmaLinux:8/kernel',
  installed_version: installed,
  fixed_version: fixed,
  advisory,
  ...(kev ? { known_exploited: { catalog: 'CISA KEV', date_added: '2024-05-30' } } : {}),
});

test('nodes on different kernels that need the same update group under one "at least X (advisory Y)" action', () => {
  const older = node('cn001', '4.18.0-372.9.1.el8.x86_64', [
    kernelVuln('CVE-2023-0386', '4.18.0-372.9.1.el8', '4.18.0-425.19.2.el8_7', 'ALSA-2023:1566'),
    kernelVuln('CVE-2024-1086', '4.18.0-372.9.1.el8', '4.18.0-513.24.1.el8_9', 'ALSA-2024:1607', true),
  ]);
  const newer = node('cn002', '4.18.0-477.10.1.el8_8.x86_64', [
    kernelVuln('CVE-2024-1086', '4.18.0-477.10.1.el8_8', '4.18.0-513.24.1.el8_9', 'ALSA-2024:1607', true),
  ]);
  const [a] = actionsForReport(older);
  const [b] = actionsForReport(newer);
  assert.equal(a!.key, b!.key, 'one action for both nodes');
  assert.equal(
    a!.title,
    'Update the kernel (AlmaLinux:8/kernel) to at least 4.18.0-513.24.1.el8_9 (ALSA-2024:1607); known exploited: CVE-2024-1086',
  );
  assert.equal(a!.title, b!.title);
  assert.deepEqual(a!.fixes, ['ALSA-2024:1607', 'CVE-2024-1086']);
  assert.equal(a!.weight, KNOWN_EXPLOITED_WEIGHT + SEVERITY_WEIGHT.high!, 'the node removes both flaws');
  assert.equal(b!.weight, KNOWN_EXPLOITED_WEIGHT);
  // The highest fixed version by rpm's order, not by text ("513" > "477", "el8_10" > "el8_9").
  const rpmOrder = node('cn003', '4.18.0-477.10.1.el8_8.x86_64', [
    kernelVuln('CVE-A', '4.18.0-477.10.1.el8_8', '4.18.0-553.5.1.el8_10', 'ALSA-2024:4211'),
    kernelVuln('CVE-B', '4.18.0-477.10.1.el8_8', '4.18.0-513.24.1.el8_9', 'ALSA-2024:1607'),
  ]);
  assert.match(
    actionsForReport(rpmOrder)[0]!.title,
    /at least 4\.18\.0-553\.5\.1\.el8_10 \(ALSA-2024:4211\)/,
  );
  // Affected with no fix released: its own action, never an update to nowhere.
  const unfixed = node('cn004', '4.18.0-553.5.1.el8_10.x86_64', [
    kernelVuln('CVE-C', '4.18.0-553.5.1.el8_10', null, null),
  ]);
  assert.match(
    actionsForReport(unfixed)[0]!.title,
    /No fix released for the kernel \(AlmaLinux:8\/kernel\) yet: mitigate CVE-C/,
  );
});

test('the plan lists each update with its Slurm hostlist, known-exploited first', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-plan-'));
  const store = await openStore(`sqlite:${path.join(dir, 'fleet.db')}`);
  try {
    // 3 nodes need the known-exploited nf_tables fix; 40 nodes need a critical runc update.
    for (let i = 1; i <= 3; i++)
      await store.ingest(
        node(`cn${String(i).padStart(3, '0')}`, '4.18.0-477.10.1.el8_8.x86_64', [
          kernelVuln(
            'CVE-2024-1086',
            '4.18.0-477.10.1.el8_8',
            '4.18.0-513.24.1.el8_9',
            'ALSA-2024:1607',
            true,
          ),
        ]),
        10_000 + i,
      );
    for (let i = 10; i < 50; i++)
      await store.ingest(
        node(`gpu${String(i).padStart(3, '0')}`, '4.18.0-553.5.1.el8_10.x86_64', [
          {
            id: 'CVE-2024-21626',
            status: 'affected',
            severity: 'critical',
            target: 'runc',
            package: 'AlmaLinux:8/runc',
            installed_version: '1:1.1.9-1.module_el8.9.0+3627+db8ec155',
            fixed_version: '1:1.1.12-1.module_el8.9.0+3716+657fa2ad',
            advisory: 'ALSA-2024:0752',
          },
        ]),
        10_000 + i,
      );
    const plan = await store.plan({ offset: 0, limit: 10 });
    assert.deepEqual(
      plan.items.map((p) => [p.kind, p.nodes, p.hostlist]),
      [
        ['kernel-update', 3, 'cn[001-003]'],
        ['package-update', 40, 'gpu[010-049]'],
      ],
    );
    assert.match(
      plan.items[0]!.title,
      /at least 4\.18\.0-513\.24\.1\.el8_9 \(ALSA-2024:1607\); known exploited: CVE-2024-1086/,
    );
    assert.match(
      plan.items[1]!.title,
      /Update runc \(AlmaLinux:8\/runc\) to at least 1:1\.1\.12-1\.module_el8\.9\.0\+3716\+657fa2ad \(ALSA-2024:0752\)/,
    );
  } finally {
    await store.close();
  }
});
