// The NVIDIA GPU driver's advisories (NVIDIA's bulletins, one fixed version per Linux branch) against the loaded
// driver of the GPU fixture hosts and variants of them: affected, fixed, not affected, unknown, and exposure from who
// may open /dev/nvidiactl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCheck } from '../../src/cli/check-command.js';
import type { Report } from '../../src/evaluate/build-report.js';
import { actionsForReport } from '../../src/fleet/plan/node-actions.js';
import { withServerFacts } from '../../src/fleet/store/server-facts.js';
import { validateReport } from '../../src/fleet/validate-report.js';
import { DEVICES_SKIP, layeredHost, variant } from '../helpers/layered-host.js';

const opts = { skip: DEVICES_SKIP };
const DRIVER_CVES = [
  'CVE-2024-0090',
  'CVE-2025-23244',
  'CVE-2025-23280',
  'CVE-2025-23282',
  'CVE-2025-33219',
  'CVE-2026-24187',
  'CVE-2026-24190',
  'CVE-2026-24192',
  'CVE-2026-24193',
  'CVE-2026-24194',
];

/** Each driver advisory's status: from vulnerabilities (affected, mitigated, unknown) or resolved. */
function driverVerdicts(r: Report): Record<string, string> {
  const all = [...r.vulnerabilities, ...r.resolved].filter((v) => v.target === 'nvidia-gpu-driver');
  return Object.fromEntries(DRIVER_CVES.map((id) => [id, all.find((v) => v.id === id)?.status ?? 'none']));
}
/** Mode 0600 for a device node of a scratch tree, in its snapshot manifest too (which says the host's owners and modes). */
function closeDevice(root: string, dev: string): void {
  fs.chmodSync(path.join(root, dev), 0o600);
  const mf = path.join(root, '.ctrsafe-snapshot.json');
  const m = JSON.parse(fs.readFileSync(mf, 'utf8')) as { files: Record<string, { mode: string }> };
  m.files[dev]!.mode = '0600';
  fs.writeFileSync(mf, JSON.stringify(m));
}
const check = async (root: string): Promise<Report> => (await runCheck({ root })).report;
/** The layered host with another loaded driver: the first line the open kernel module prints, version replaced. */
const withDriver = (name: string, version: string, edit: (root: string) => void = () => undefined) =>
  variant(name, (root) => {
    fs.writeFileSync(
      path.join(root, 'proc/driver/nvidia/version'),
      `NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  ${version}  Release Build  (dvs-builder@U16-I3-B03-4-3)  Thu Jan 23 22:50:36 UTC 2025\n`,
    );
    edit(root);
  });

test(
  'driver 550.54.15 (R550): before the R550 fixes of June 2024 and April 2025; R550 is in no later table',
  opts,
  async () => {
    const r = await check(layeredHost('gpu-nvidia-vulnerable'));
    assert.deepEqual(driverVerdicts(r), {
      'CVE-2024-0090': 'affected',
      'CVE-2025-23244': 'affected',
      'CVE-2025-23280': 'unknown',
      'CVE-2025-23282': 'unknown',
      'CVE-2025-33219': 'unknown',
      'CVE-2026-24187': 'unknown',
      'CVE-2026-24190': 'unknown',
      'CVE-2026-24192': 'unknown',
      'CVE-2026-24193': 'unknown',
      'CVE-2026-24194': 'unknown',
    });
    const v = r.vulnerabilities.find((x) => x.id === 'CVE-2025-23244')!;
    assert.equal(v.fixed_version, '550.163.01');
    assert.equal(v.exposure, 'exploitable');
    assert.match(
      v.reason,
      /^driver 550\.54\.15 is before the R550 fix 550\.163\.01; reachable: every user can open \/dev\/nvidiactl .*mode 0666/,
    );
    const u = r.vulnerabilities.find((x) => x.id === 'CVE-2025-23280')!;
    assert.match(
      u.reason,
      /driver branch R550 is not in the bulletin's table \(R535 535\.274\.02, R570 570\.195\.03, R580 580\.95\.05\).*R570 570\.195\.03 or later/,
    );
    assert.equal(v.package, 'ctrsafe:upstream/nvidia-gpu-driver');
    assert.match(v.decided_by, /NVIDIA's bulletin, fixed version per driver branch/);
  },
);

test(
  'driver 570.86.15 (R570) on the toolkit-fixed node: the R570 fixes are missing; R555 and older tables do not speak for it',
  opts,
  async () => {
    const r = await check(layeredHost('gpu-nvidia-fixed'));
    const got = driverVerdicts(r);
    assert.deepEqual(got, {
      'CVE-2024-0090': 'not-affected',
      'CVE-2025-23244': 'affected',
      'CVE-2025-23280': 'affected',
      'CVE-2025-23282': 'affected',
      'CVE-2025-33219': 'affected',
      'CVE-2026-24187': 'unknown',
      'CVE-2026-24190': 'unknown',
      'CVE-2026-24192': 'unknown',
      'CVE-2026-24193': 'unknown',
      'CVE-2026-24194': 'unknown',
    });
    // The patch plan: one driver update, to the highest R570 fix any affected advisory needs.
    const sent = validateReport(
      JSON.parse(JSON.stringify({ ...r, host: { ...r.host, hostname: 'gpu002' } })),
    );
    assert.ok(sent.ok, sent.ok ? '' : sent.reason);
    const titles = actionsForReport(withServerFacts(sent.report)).map((a) => a.title);
    assert.ok(
      titles.includes('Update nvidia-gpu-driver (ctrsafe:upstream/nvidia-gpu-driver) to at least 570.211.01'),
      titles.join('\n'),
    );
  },
);

test('driver 580.159.03 (R580, May 2026): every driver advisory resolved, none reported', opts, async () => {
  const r = await check(withDriver('gpu-nvidia-fixed', '580.159.03'));
  const got = driverVerdicts(r);
  assert.deepEqual(
    Object.values(got).filter((s) => s !== 'fixed' && s !== 'not-affected'),
    [],
    JSON.stringify(got),
  );
  assert.equal(got['CVE-2026-24187'], 'fixed', 'at the R580 fix itself');
  assert.equal(got['CVE-2025-23244'], 'not-affected', 'R580 is newer than every branch of April 2025');
  assert.ok(!r.vulnerabilities.some((v) => v.target === 'nvidia-gpu-driver'));
});

test(
  'exposure: /dev/nvidiactl open to root only mitigates; no readable version with NVIDIA devices is unknown',
  opts,
  async () => {
    const closed = await check(
      withDriver('gpu-nvidia-vulnerable', '550.54.15', (root) => closeDevice(root, '/dev/nvidiactl')),
    );
    const v = closed.vulnerabilities.find((x) => x.id === 'CVE-2025-23244')!;
    assert.equal(v.match, 'affected');
    assert.equal(v.status, 'mitigated');
    assert.match(v.reason, /not reachable by users: only root can open \/dev\/nvidiactl .*mode 0600/);
    const noVersion = await check(
      variant('gpu-nvidia-vulnerable', (root) => {
        fs.rmSync(path.join(root, 'proc/driver'), { recursive: true });
        fs.rmSync(path.join(root, 'sys/module/nvidia'), { recursive: true });
      }),
    );
    const n = noVersion.vulnerabilities.find((x) => x.id === 'CVE-2025-23244')!;
    assert.equal(n.status, 'unknown');
    assert.match(n.reason, /NVIDIA device nodes are present but the loaded driver version is not known/);
  },
);

test('nodes without an NVIDIA driver get no driver verdicts (AMD ROCm, no GPU)', opts, async () => {
  for (const name of ['gpu-amd-rocm', 'gpu-none']) {
    const r = await check(layeredHost(name));
    assert.deepEqual(
      Object.values(driverVerdicts(r)),
      DRIVER_CVES.map(() => 'none'),
      name,
    );
  }
});
