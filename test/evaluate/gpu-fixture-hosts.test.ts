// The GPU and RDMA fixture hosts (test/fixtures/hosts/gpu-*, ib-low-memlock; see each README) get the readiness per
// runtime and the toolkit advisory verdicts a GPU cluster's manager would expect, on device nodes made with mknod.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { judgeNvidiaPath } from '../../src/advisories/nvidia-paths.js';
import type { Facts } from '../../src/facts/fact.js';
import { addFact } from '../../src/facts/fact.js';
import { runCheck } from '../../src/cli/check-command.js';
import type { Report } from '../../src/evaluate/build-report.js';
import { renderPrometheus } from '../../src/render/render-prometheus.js';
import { renderText } from '../../src/render/render-text.js';
import { makeStyle } from '../../src/render/style.js';
import { assertPromtoolAccepts } from '../helpers/promtool.js';
import { DEVICES_SKIP, layeredHost, variant } from '../helpers/layered-host.js';

const TOOLKIT_CVES = ['CVE-2024-0132', 'CVE-2025-23359', 'CVE-2025-23266'];
const check = async (name: string): Promise<Report> => (await runCheck({ root: layeredHost(name) })).report;
type Section = { runtimes: { runtime: string; ready: string }[] };
const ready = (s: Section) => Object.fromEntries(s.runtimes.map((v) => [v.runtime, v.ready]));
/** Each toolkit advisory's status on the host, "none" when it is not reported (fixed or not installed). */
export const toolkitVerdicts = (r: Report): Record<string, string> =>
  Object.fromEntries(
    TOOLKIT_CVES.map((id) => [id, r.vulnerabilities.find((v) => v.id === id)?.status ?? 'none']),
  );
const opts = { skip: DEVICES_SKIP };
const vuln = (r: Report, id: string) => r.vulnerabilities.find((v) => v.id === id)!;

test(
  'NVIDIA node, toolkit 1.16.1 with a CDI spec: GPU ready in Podman and Apptainer; the three escapes affect it',
  opts,
  async () => {
    const r = await check('gpu-nvidia-vulnerable');
    const g = r.accelerators.gpu;
    assert.equal(g.present, 'yes');
    assert.equal(g.summary, 'NVIDIA: 1 GPU, driver 550.54.15, toolkit 1.16.1, CDI 3 devices');
    assert.ok(g.devices.includes('/dev/nvidia-caps/nvidia-cap1'));
    assert.deepEqual(ready(g), { apptainer: 'yes', podman: 'yes' });
    const podman = g.runtimes.find((v) => v.runtime === 'podman')!;
    assert.equal(podman.how, '--device nvidia.com/gpu=all');
    assert.equal(r.accelerators.rdma.present, 'no');
    for (const id of TOOLKIT_CVES) {
      const v = r.vulnerabilities.find((x) => x.id === id)!;
      assert.equal(v.match, 'affected', id);
      assert.match(v.reasons[0]!, /upstream 1\.16\.1 is affected/);
      assert.equal(v.status, 'affected', id);
      assert.equal(v.exposure, 'exploitable', id);
    }
    // Who runs libnvidia-container's injection, and the toolkit's hooks in the CDI spec, are named.
    assert.match(
      vuln(r, 'CVE-2024-0132').reason,
      /reachable: nvidia-container-cli: nvidia-container-cli is run by Podman's OCI hook .*oci-nvidia-hook\.json.*; apptainer --nvccli/,
    );
    assert.match(vuln(r, 'CVE-2025-23359').reason, /reachable: nvidia-container-cli/);
    assert.match(
      vuln(r, 'CVE-2025-23266').reason,
      /reachable: cdi-hooks: NVIDIA toolkit hooks in CDI specs: .*nvidia\.yaml: createContainer \/usr\/bin\/nvidia-cdi-hook create-symlinks/,
    );
    // The packaged config.toml: the host's ldconfig, the envvar key left commented out (its default, true).
    const rule = (id: string) => r.findings.find((f) => f.id === id)?.status;
    assert.deepEqual(['CS-A002', 'CS-A003', 'CS-A004'].map(rule), ['pass', 'fail', 'pass']);
  },
);

test(
  'CDI only (no nvidia-container-cli, no OCI hook): CVE-2024-0132 and CVE-2025-23359 mitigated, with the evidence; CVE-2025-23266 still reached through the spec hooks until they are gone',
  opts,
  async () => {
    const cdiOnly = variant('gpu-nvidia-vulnerable', (root) => {
      fs.rmSync(path.join(root, 'usr/bin/nvidia-container-cli'));
      fs.rmSync(path.join(root, 'usr/share/containers/oci/hooks.d/oci-nvidia-hook.json'));
    });
    const r = (await runCheck({ root: cdiOnly })).report;
    for (const id of ['CVE-2024-0132', 'CVE-2025-23359']) {
      assert.equal(vuln(r, id).status, 'mitigated', id);
      assert.match(
        vuln(r, id).reason,
        /not reachable: nvidia-container-cli: nvidia-container-cli is not installed/,
      );
    }
    // The CVE record: "CDI mode only for versions prior to 1.17.5": the CDI spec's toolkit hooks are the way in.
    assert.equal(vuln(r, 'CVE-2025-23266').status, 'affected');
    assert.equal(vuln(r, 'CVE-2025-23266').exposure, 'exploitable');
    assert.deepEqual(ready(r.accelerators.gpu), { apptainer: 'yes', podman: 'yes' });

    const noHooks = variant('gpu-nvidia-vulnerable', (root) => {
      fs.rmSync(path.join(root, 'usr/bin/nvidia-container-cli'));
      fs.rmSync(path.join(root, 'usr/share/containers/oci/hooks.d/oci-nvidia-hook.json'));
      const spec = path.join(root, 'etc/cdi/nvidia.yaml');
      fs.writeFileSync(
        spec,
        fs.readFileSync(spec, 'utf8').replace(/ {2}hooks:\n[\s\S]*?(?= {2}mounts:)/, ''),
      );
    });
    const n = (await runCheck({ root: noHooks })).report;
    const v = vuln(n, 'CVE-2025-23266');
    assert.equal(v.status, 'mitigated', v.reason);
    assert.match(v.reason, /cdi-hooks: no CDI spec runs an NVIDIA toolkit hook/);
    assert.match(v.reason, /runtime-hooks: not in 1\.16\.1 \(this way exists from 1\.17\.5\)/);
  },
);

test(
  'the same node with toolkit 1.17.8 and driver 570: ready, and none of the escapes is reported',
  opts,
  async () => {
    const r = await check('gpu-nvidia-fixed');
    assert.equal(
      r.accelerators.gpu.summary,
      'NVIDIA: 1 GPU, driver 570.86.15, toolkit 1.17.8, CDI 3 devices',
    );
    assert.deepEqual(ready(r.accelerators.gpu), { apptainer: 'yes', podman: 'yes' });
    assert.deepEqual(toolkitVerdicts(r), {
      'CVE-2024-0132': 'none',
      'CVE-2025-23359': 'none',
      'CVE-2025-23266': 'none',
    });
    assert.ok(r.resolved.some((x) => x.id === 'CVE-2025-23266' && x.status === 'fixed'));
  },
);

test(
  'AMD ROCm node: /dev/kfd and the render node open to the render group only: unknown, naming the group',
  opts,
  async () => {
    const r = await check('gpu-amd-rocm');
    const g = r.accelerators.gpu;
    assert.equal(g.vendor, 'amd');
    assert.deepEqual(g.devices, ['/dev/kfd', '/dev/dri/renderD128']);
    assert.deepEqual(ready(g), { apptainer: 'unknown', podman: 'unknown' });
    for (const v of g.runtimes)
      assert.match(
        v.reasons.join(' '),
        /kfd: character device 235:0, owner 0:998, mode 0660 \(group 998 only\)/,
      );
    assert.equal(g.runtimes.find((v) => v.runtime === 'apptainer')!.how, '--rocm');
    assert.deepEqual(toolkitVerdicts(r), {
      'CVE-2024-0132': 'none',
      'CVE-2025-23359': 'none',
      'CVE-2025-23266': 'none',
    });
  },
);

test(
  'InfiniBand node with memlock 64 KiB in limits.conf: MPI over verbs blocked in Podman, with the fixes',
  opts,
  async () => {
    const r = await check('ib-low-memlock');
    const x = r.accelerators.rdma;
    assert.equal(x.present, 'yes');
    assert.equal(x.summary, 'RDMA: 1 verbs device, memlock 64 KiB');
    assert.equal(x.memlock.bytes, 64 * 1024);
    assert.match(x.memlock.source!, /limits\.conf:17: \* soft memlock 64 KiB/);
    assert.deepEqual(ready(x), { podman: 'no' });
    const p = x.runtimes[0]!;
    assert.ok(p.reasons.some((s) => /memlock 64 KiB is below 64 MiB: MPI over verbs will fail/.test(s)));
    assert.match(p.remediation.join(' '), /memlock unlimited/);
    assert.match(p.remediation.join(' '), /PropagateResourceLimitsExcept=MEMLOCK/);
    // The catalogue says it too, as a finding the gate and the fleet see (CS-A001).
    const a001 = r.findings.find((f) => f.id === 'CS-A001')!;
    assert.equal(a001.status, 'fail');
    assert.match(a001.evidence, /memlock 64 KiB/);
    assert.equal(r.accelerators.gpu.present, 'no');
    assert.deepEqual(toolkitVerdicts(r), {
      'CVE-2024-0132': 'none',
      'CVE-2025-23359': 'none',
      'CVE-2025-23266': 'none',
    });
  },
);

test(
  'a node without GPU or RDMA (a /dev with a video card node only): said in one line, nothing judged',
  opts,
  async () => {
    const r = await check('gpu-none');
    assert.equal(r.findings.find((f) => f.id === 'CS-A001')?.status, 'not-applicable', 'no verbs device');
    assert.equal(r.accelerators.gpu.present, 'no');
    assert.equal(r.accelerators.rdma.present, 'no');
    assert.deepEqual(r.accelerators.gpu.runtimes, []);
    const lines = renderText(r, makeStyle(false))
      .split('\n')
      .filter((l) => /GPU|RDMA/.test(l));
    assert.deepEqual(lines, [
      'GPU and RDMA: no GPU on this node; no RDMA (InfiniBand/RoCE verbs) device on this node',
    ]);
    assert.deepEqual(toolkitVerdicts(r), {
      'CVE-2024-0132': 'none',
      'CVE-2025-23359': 'none',
      'CVE-2025-23266': 'none',
    });
  },
);

test('the runtime-hooks way: only from 1.17.5, only when an engine names nvidia-container-runtime, blocked by disable-cuda-compat-lib-hook', () => {
  const f: Facts = new Map();
  const p = { path: 'runtime-hooks' as const, introduced: '1.17.5' };
  assert.equal(judgeNvidiaPath(p, f, '1.17.6').state, 'unknown');
  addFact(f, 'nvidia_toolkit.engine_configs', [], 'file', 'nvidia-container-runtime is not installed');
  assert.deepEqual(judgeNvidiaPath(p, f, '1.17.6'), {
    state: 'no',
    reason: 'runtime-hooks: nvidia-container-runtime is not installed',
  });
  f.clear();
  addFact(
    f,
    'nvidia_toolkit.engine_configs',
    ['/etc/docker/daemon.json'],
    'file',
    'configured in /etc/docker/daemon.json',
  );
  assert.equal(judgeNvidiaPath(p, f, '1.17.6').state, 'yes');
  assert.equal(judgeNvidiaPath(p, f, '1.17.4').state, 'no');
  addFact(
    f,
    'nvidia_toolkit.disable_cuda_compat_lib_hook',
    true,
    'file',
    'config.toml: [features] disable-cuda-compat-lib-hook = true',
  );
  assert.match(
    judgeNvidiaPath(p, f, '1.17.6').reason,
    /but config\.toml: .*disable-cuda-compat-lib-hook = true \(NVIDIA's mitigation\)/,
  );
  assert.equal(judgeNvidiaPath(p, f, '1.17.6').state, 'no');
});

test(
  'Prometheus: GPU and RDMA presence and per-runtime readiness gauges, accepted by promtool',
  opts,
  async () => {
    const ib = renderPrometheus(await check('ib-low-memlock'));
    const lines = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l));
    assert.deepEqual(lines(ib, /^ctrsafe_accelerator_present\{kind="rdma"/), [
      'ctrsafe_accelerator_present{kind="rdma",state="yes"} 1',
      'ctrsafe_accelerator_present{kind="rdma",state="no"} 0',
      'ctrsafe_accelerator_present{kind="rdma",state="unknown"} 0',
    ]);
    assert.deepEqual(lines(ib, /^ctrsafe_accelerator_ready\{/), [
      'ctrsafe_accelerator_ready{kind="rdma",runtime="podman",state="yes"} 0',
      'ctrsafe_accelerator_ready{kind="rdma",runtime="podman",state="no"} 1',
      'ctrsafe_accelerator_ready{kind="rdma",runtime="podman",state="unknown"} 0',
    ]);
    const gpu = renderPrometheus(await check('gpu-amd-rocm'));
    assert.ok(gpu.includes('ctrsafe_accelerator_ready{kind="gpu",runtime="apptainer",state="unknown"} 1'));
    assert.ok(gpu.includes('ctrsafe_accelerator_present{kind="gpu",state="yes"} 1'));
    for (const text of [ib, gpu]) assertPromtoolAccepts(text);
  },
);
