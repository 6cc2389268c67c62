// GPU and RDMA readiness per runtime, and the toolkit's advisories, on fixture hosts with GPU files laid over them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCheck } from '../../src/cli/check-command.js';
import type { Report } from '../../src/evaluate/build-report.js';
import { renderText } from '../../src/render/render-text.js';
import { makeStyle } from '../../src/render/style.js';
import { FIXTURES, writeTree } from '../helpers/tree.js';
import { NVIDIA_CDI_YAML } from '../helpers/gpu-fixtures.js';

/** /etc/nvidia-container-runtime/config.toml as the 1.16/1.17 Debian packages ship it (comments trimmed). */
const TOOLKIT_CONFIG = (noCgroups: string) => `#accept-nvidia-visible-devices-as-volume-mounts = false
#accept-nvidia-visible-devices-envvar-when-unprivileged = true
disable-require = false
supported-driver-capabilities = "compat32,compute,display,graphics,ngx,utility,video"
#swarm-resource = "DOCKER_RESOURCE_GPU"

[nvidia-container-cli]
#debug = "/var/log/nvidia-container-toolkit.log"
environment = []
#ldcache = "/etc/ld.so.cache"
ldconfig = "@/sbin/ldconfig.real"
load-kmods = true
${noCgroups}
#path = "/usr/bin/nvidia-container-cli"
#root = "/run/nvidia/driver"
#user = "root:video"

[nvidia-container-runtime]
#debug = "/var/log/nvidia-container-runtime.log"
log-level = "info"
mode = "auto"
runtimes = ["docker-runc", "runc", "crun"]

[nvidia-container-runtime.modes]

[nvidia-container-runtime.modes.cdi]
annotation-prefixes = ["cdi.k8s.io/"]
default-kind = "nvidia.com/gpu"
spec-dirs = ["/etc/cdi", "/var/run/cdi"]

[nvidia-container-runtime.modes.csv]
mount-spec-path = "/etc/nvidia-container-runtime/host-files-for-container.d"

[nvidia-container-runtime-hook]
path = "nvidia-container-runtime-hook"
skip-mode-detection = false

[nvidia-ctk]
path = "nvidia-ctk"
`;

const dpkgToolkit = (v: string) => `
Package: libnvidia-container-tools
Status: install ok installed
Priority: optional
Section: utils
Installed-Size: 100
Maintainer: NVIDIA CORPORATION <cudatools@nvidia.com>
Architecture: amd64
Source: libnvidia-container
Version: ${v}-1
Depends: libnvidia-container1 (>= ${v}-1), libc6 (>= 2.7)
Description: NVIDIA container runtime library (command-line tools)

Package: nvidia-container-toolkit
Status: install ok installed
Priority: optional
Section: utils
Installed-Size: 2500
Maintainer: NVIDIA CORPORATION <cudatools@nvidia.com>
Architecture: amd64
Version: ${v}-1
Depends: nvidia-container-toolkit-base (= ${v}-1), libnvidia-container-tools (>= ${v}-1), libseccomp2
Description: NVIDIA Container toolkit
`;

const DRIVER =
  'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n';

/**
 * A copy of a fixture host with files laid over it. Device stand-ins are regular files; their mode and group go
 * into the copy's snapshot manifest (which is what says a copied tree's owners and modes), else onto the file.
 */
function host(
  base: string,
  files: Record<string, string>,
  modes: Record<string, number | [number, number]> = {},
): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-gpu-'));
  fs.cpSync(path.join(FIXTURES, base), dir, { recursive: true });
  fs.mkdirSync(path.join(dir, 'dev'), { recursive: true });
  const status = path.join(dir, 'var/lib/dpkg/status');
  const extraStatus = files['+var/lib/dpkg/status'];
  delete files['+var/lib/dpkg/status'];
  writeTree(files, dir);
  if (extraStatus) fs.appendFileSync(status, extraStatus);
  const manifestPath = path.join(dir, '.ctrsafe-snapshot.json');
  const manifest = fs.existsSync(manifestPath)
    ? (JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { files: Record<string, unknown> })
    : null;
  for (const [p, m] of Object.entries(modes)) {
    const [mode, gid] = typeof m === 'number' ? [m, 0] : m;
    if (manifest) manifest.files[`/${p}`] = { mode: mode.toString(8).padStart(4, '0'), uid: 0, gid };
    else fs.chmodSync(path.join(dir, p), mode);
  }
  if (manifest) fs.writeFileSync(manifestPath, JSON.stringify(manifest));
  return dir;
}

const NVIDIA_DEVS = {
  'dev/nvidia0': '',
  'dev/nvidiactl': '',
  'dev/nvidia-uvm': '',
  'dev/nvidia-uvm-tools': '',
};
const OPEN = {
  'dev/nvidia0': 0o666,
  'dev/nvidiactl': 0o666,
  'dev/nvidia-uvm': 0o666,
  'dev/nvidia-uvm-tools': 0o666,
};

function nvidiaNode(
  toolkit: string,
  extra: Record<string, string> = {},
  modes = OPEN,
  base = 'debian12',
): string {
  return host(
    base,
    {
      ...NVIDIA_DEVS,
      'proc/driver/nvidia/version': DRIVER,
      'sys/module/nvidia/version': '550.54.15\n',
      'usr/bin/nvidia-container-cli': '',
      'usr/bin/nvidia-ctk': '',
      '+var/lib/dpkg/status': dpkgToolkit(toolkit),
      ...extra,
    },
    modes,
  );
}

const gpuFor = (r: Report, id: string) => r.accelerators.gpu.runtimes.find((v) => v.runtime === id)!;
const TOOLKIT_CVES = ['CVE-2024-0132', 'CVE-2025-23359', 'CVE-2025-23266'];
const text = (r: Report) => renderText(r, makeStyle(false));

test('no GPU and no RDMA: said in one line, and no runtime is judged for them', async () => {
  const { report } = await runCheck({ root: host('debian12', { 'dev/null': '' }) });
  assert.equal(report.accelerators.gpu.present, 'no');
  assert.equal(report.accelerators.gpu.summary, 'no GPU on this node');
  assert.equal(report.accelerators.rdma.present, 'no');
  assert.deepEqual(report.accelerators.gpu.runtimes, []);
  const lines = text(report)
    .split('\n')
    .filter((l) => /GPU|RDMA/.test(l));
  assert.deepEqual(lines, [
    'GPU and RDMA: no GPU on this node; no RDMA (InfiniBand/RoCE verbs) device on this node',
  ]);
});

test('NVIDIA node, toolkit 1.16.1: affected by the three container-escape advisories; 1.17.8: by none', async () => {
  const old = (await runCheck({ root: nvidiaNode('1.16.1', { 'etc/cdi/nvidia.yaml': NVIDIA_CDI_YAML }) }))
    .report;
  assert.equal(old.accelerators.gpu.present, 'yes');
  assert.equal(old.accelerators.gpu.vendor, 'nvidia');
  assert.equal(old.accelerators.gpu.driver_version, '550.54.15');
  assert.equal(old.accelerators.gpu.toolkit_version, '1.16.1');
  for (const id of TOOLKIT_CVES) {
    const v = old.vulnerabilities.find((x) => x.id === id);
    assert.equal(v?.match, 'affected', `${id}: ${JSON.stringify(v)}`);
    assert.equal(v?.target, 'nvidia-container-toolkit');
  }
  // Podman by CDI only, and nothing else here runs nvidia-container-cli: the injection flaws are not reached; the
  // CDI spec's toolkit hooks reach CVE-2025-23266.
  const status = (id: string) => old.vulnerabilities.find((x) => x.id === id)?.status;
  assert.equal(status('CVE-2024-0132'), 'mitigated');
  assert.equal(status('CVE-2025-23359'), 'mitigated');
  assert.equal(status('CVE-2025-23266'), 'affected');
  assert.match(
    text(old),
    /GPU AND RDMA\n {2}NVIDIA: 1 GPU, driver 550\.54\.15, toolkit 1\.16\.1, CDI 3 devices/,
  );
  const fixed = (await runCheck({ root: nvidiaNode('1.17.8', { 'etc/cdi/nvidia.yaml': NVIDIA_CDI_YAML }) }))
    .report;
  assert.equal(fixed.accelerators.gpu.toolkit_version, '1.17.8');
  for (const id of TOOLKIT_CVES)
    assert.equal(
      fixed.vulnerabilities.find((x) => x.id === id && x.status !== 'mitigated'),
      undefined,
      `${id} must not be reported against 1.17.8`,
    );
});

test('rootless podman: CDI present is ready; the legacy hook with no-cgroups unset is blocked with the fix; neither is blocked', async () => {
  const cdi = (await runCheck({ root: nvidiaNode('1.17.8', { 'etc/cdi/nvidia.yaml': NVIDIA_CDI_YAML }) }))
    .report;
  assert.equal(cdi.runtimes.find((r) => r.id === 'podman')?.mode, 'unprivileged');
  assert.equal(gpuFor(cdi, 'podman').ready, 'yes');
  assert.equal(gpuFor(cdi, 'podman').how, '--device nvidia.com/gpu=all');

  const hookOnly = {
    'usr/share/containers/oci/hooks.d/oci-nvidia-hook.json':
      '{"version":"1.0.0","hook":{"path":"/usr/bin/nvidia-container-toolkit","args":["nvidia-container-toolkit","prestart"]},"when":{"always":true},"stages":["prestart"]}\n',
  };
  const withHook = async (noCgroups: string) =>
    (
      await runCheck({
        root: nvidiaNode('1.17.8', {
          ...hookOnly,
          'etc/nvidia-container-runtime/config.toml': TOOLKIT_CONFIG(noCgroups),
        }),
      })
    ).report;
  const unset = await withHook('#no-cgroups = false');
  const p = gpuFor(unset, 'podman');
  assert.equal(p.ready, 'no');
  assert.ok(
    p.reasons.some((x) => /no-cgroups is not set \(default false\)/.test(x)),
    p.reasons.join('\n'),
  );
  assert.ok(p.remediation.some((x) => /no-cgroups = true/.test(x) && /nvidia-ctk cdi generate/.test(x)));

  const set = await withHook('no-cgroups = true');
  assert.equal(gpuFor(set, 'podman').ready, 'yes');

  const neither = (await runCheck({ root: nvidiaNode('1.17.8') })).report;
  assert.equal(gpuFor(neither, 'podman').ready, 'no');
  assert.match(
    gpuFor(neither, 'podman').remediation.join(' '),
    /nvidia-ctk cdi generate --output=\/etc\/cdi\/nvidia\.yaml/,
  );
  // Charliecloud, also installed on this host, only needs the device nodes.
  assert.equal(gpuFor(neither, 'charliecloud').ready, 'yes');
});

test('device nodes only root can open: every runtime is blocked, with the driver option that fixes it', async () => {
  const { report } = await runCheck({
    root: nvidiaNode(
      '1.17.8',
      { 'etc/cdi/nvidia.yaml': NVIDIA_CDI_YAML },
      { ...OPEN, 'dev/nvidia0': 0o600, 'dev/nvidiactl': 0o600 },
    ),
  });
  for (const v of report.accelerators.gpu.runtimes) {
    assert.equal(v.ready, 'no', v.runtime);
    assert.match(v.reasons[0]!, /device nodes users cannot open: .*nvidia0.*mode 0600/);
    assert.match(v.remediation.join(' '), /NVreg_DeviceFileMode/);
  }
});

test('Apptainer setuid with "use nvidia-container-cli = yes": the toolkit runs as root, and that is said', async () => {
  const root = nvidiaNode('1.16.1', {}, OPEN, 'apptainer-setuid');
  const conf = path.join(root, 'etc/apptainer/apptainer.conf');
  fs.writeFileSync(
    conf,
    fs.readFileSync(conf, 'utf8').replace('use nvidia-container-cli = no', 'use nvidia-container-cli = yes'),
  );
  const { report } = await runCheck({ root });
  const a = gpuFor(report, 'apptainer');
  assert.equal(report.runtimes.find((r) => r.id === 'apptainer')?.mode, 'setuid');
  assert.equal(a.ready, 'yes');
  assert.match(a.how, /use nvidia-container-cli = yes/);
  assert.ok(
    a.reasons.some((x) => /runs nvidia-container-cli from the root-owned starter/.test(x)),
    a.reasons.join('\n'),
  );
  // The vulnerable toolkit raises Apptainer's risk through the component it uses.
  assert.ok(report.runtimes.find((r) => r.id === 'apptainer')!.reasons.some((x) => /CVE-2024-0132/.test(x)));
  assert.match(text(report), /runs nvidia-container-cli from the root-owned starter/);
});

test('AMD ROCm node: /dev/kfd and render nodes open only to the render group give "unknown" and name the group', async () => {
  const { report } = await runCheck({
    root: host(
      'debian12',
      { 'dev/kfd': '', 'dev/dri/renderD128': '', 'sys/module/amdgpu/initstate': 'live\n' },
      { 'dev/kfd': [0o660, 109], 'dev/dri/renderD128': [0o660, 109] },
    ),
  });
  assert.equal(report.accelerators.gpu.vendor, 'amd');
  assert.deepEqual(report.accelerators.gpu.devices, ['/dev/kfd', '/dev/dri/renderD128']);
  assert.equal(report.accelerators.gpu.runtimes.length, 2);
  for (const v of report.accelerators.gpu.runtimes) {
    assert.equal(v.ready, 'unknown', v.runtime);
    assert.match(v.reasons.join(' '), /only members of the owning group can open: .*kfd.*group 109 only/);
  }
});

const IB = { 'dev/infiniband/uverbs0': '', 'dev/infiniband/rdma_cm': '' };
const IB_OPEN = { 'dev/infiniband/uverbs0': 0o666, 'dev/infiniband/rdma_cm': 0o666 };

test('InfiniBand node: memlock 64 KiB blocks MPI over verbs, unlimited does not; Slurm propagation is named', async () => {
  const low = (
    await runCheck({
      root: host(
        'debian12',
        { ...IB, 'etc/security/limits.conf': '*  soft  memlock  64\n*  hard  memlock  64\n' },
        IB_OPEN,
      ),
    })
  ).report;
  assert.equal(low.accelerators.rdma.present, 'yes');
  assert.equal(low.accelerators.rdma.memlock.bytes, 65536);
  for (const v of low.accelerators.rdma.runtimes) {
    assert.equal(v.ready, 'no', v.runtime);
    assert.ok(v.reasons.some((x) => /memlock 64 KiB is below 64 MiB: MPI over verbs will fail/.test(x)));
    assert.match(v.remediation.join(' '), /memlock unlimited/);
  }
  const ok = (
    await runCheck({
      root: host(
        'debian12',
        {
          ...IB,
          'etc/security/limits.conf': '*  soft  memlock  64\n',
          'etc/security/limits.d/rdma.conf': '* soft memlock unlimited\n* hard memlock unlimited\n',
          'etc/slurm/slurm.conf': 'ClusterName=hpc\nSlurmctldHost=head\n',
        },
        IB_OPEN,
      ),
    })
  ).report;
  assert.equal(ok.accelerators.rdma.memlock.bytes, 'unlimited');
  assert.ok(ok.accelerators.rdma.runtimes.every((v) => v.ready === 'yes'));
  assert.match(ok.accelerators.rdma.notes.join(' '), /PropagateResourceLimits not set, default ALL/);
  assert.match(
    ok.accelerators.rdma.runtimes[0]!.remediation.join(' '),
    /PropagateResourceLimitsExcept=MEMLOCK/,
  );
});

test('memlock per user and group (pam_limits): the default "*" decides the verdict; users and groups below the floor are a problem, a group above it is a fix', async () => {
  const report = (
    await runCheck({
      root: host(
        'debian12',
        {
          ...IB,
          'etc/security/limits.conf': '*  soft  memlock  64\n*  hard  memlock  unlimited\n',
          // The RHEL rdma package's file, and a site's lower limit for a teaching group and one user.
          'etc/security/limits.d/rdma.conf': '@rdma soft memlock unlimited\n@rdma hard memlock unlimited\n',
          'etc/security/limits.d/students.conf': '@students - memlock 8192\nbob soft memlock 1024\n',
        },
        IB_OPEN,
      ),
    })
  ).report;
  const r = report.accelerators.rdma;
  assert.equal(r.memlock.bytes, 65536, 'what a user without an entry of their own gets');
  assert.ok(r.runtimes.every((v) => v.ready === 'no'));
  assert.match(
    r.problems.join('\n'),
    /^memlock below 64 MiB for members of @students \(8 MiB\), user bob \(1 MiB\): their MPI jobs over verbs will fail/m,
  );
  assert.doesNotMatch(r.problems.join('\n'), /@rdma/);
  assert.match(
    r.runtimes[0]!.remediation.join('\n'),
    /or put the users who run MPI jobs in group rdma \(pam_limits gives @rdma unlimited\)/,
  );
  assert.match(r.notes.join('\n'), /@rdma memlock unlimited \(.*limits\.d\/rdma\.conf:1, .*rdma\.conf:2\)/);
  // With an unlimited default, the low group is still named: its members' jobs fail whatever "*" allows.
  const fine = (
    await runCheck({
      root: host(
        'debian12',
        {
          ...IB,
          'etc/security/limits.conf': '* - memlock unlimited\n@students - memlock 8192\n',
        },
        IB_OPEN,
      ),
    })
  ).report.accelerators.rdma;
  assert.ok(fine.runtimes.every((v) => v.ready === 'yes'));
  assert.match(fine.problems.join('\n'), /members of @students \(8 MiB\)/);
  assert.doesNotMatch(fine.runtimes[0]!.remediation.join('\n'), /put the users/);
});

test('a hostile CDI spec on a GPU node is a finding in the report, and the node is still judged', async () => {
  const { report } = await runCheck({
    root: nvidiaNode('1.17.8', {
      'etc/cdi/evil.yaml': '- ' + '['.repeat(3000) + ']'.repeat(3000) + '\n',
      'var/run/cdi/types.json': JSON.stringify({
        cdiVersion: '0.5.0',
        kind: 'nvidia.com/gpu',
        devices: { all: 1 },
      }),
    }),
  });
  assert.equal(report.accelerators.gpu.problems.length, 2, report.accelerators.gpu.problems.join('\n'));
  assert.ok(report.accelerators.gpu.problems.every((p) => /^invalid CDI spec: /.test(p)));
  assert.equal(gpuFor(report, 'podman').ready, 'no');
  assert.match(text(report), /! invalid CDI spec: .*evil\.yaml/);
});

const OPEN_NVIDIA = Object.fromEntries(Object.keys(NVIDIA_DEVS).map((d) => [d, 0o666]));
const UDIROOT = fs.readFileSync(path.join(FIXTURES, 'shifter-cray/etc/udiRoot.conf'), 'utf8');

test("Shifter GPU: a site module named for the GPU is the way (--module=gpu); without one, unknown with the module to define; CSCS's old hook needs siteResources", async () => {
  const shifter = async (extra: Record<string, string>, conf: string) =>
    (
      await runCheck({
        root: host(
          'shifter-cray',
          {
            ...NVIDIA_DEVS,
            'proc/driver/nvidia/version': DRIVER,
            'etc/udiRoot.conf': UDIROOT + conf,
            ...extra,
          },
          OPEN_NVIDIA,
        ),
      })
    ).report.accelerators.gpu.runtimes.find((v) => v.runtime === 'shifter')!;
  const withModule = await shifter(
    {},
    '\nmodule_gpu_siteFs=/usr/lib64/nvidia:/opt/udiImage/modules/gpu/lib64\nmodule_gpu_siteEnvPrepend=LD_LIBRARY_PATH=/opt/udiImage/modules/gpu/lib64\n',
  );
  assert.equal(withModule.ready, 'yes', withModule.reasons.join('\n'));
  assert.equal(withModule.how, '--module=gpu');
  assert.match(withModule.reasons.join('\n'), /udiRoot\.conf defines the module gpu .*module_gpu_sitefs/);
  const byDefault = await shifter({}, '\ndefaultModules=cuda\nmodule_cuda_copyPath=/opt/site/cuda\n');
  assert.equal(byDefault.how, 'the cuda module (loaded by default)');
  const disabled = await shifter({}, '\nmodule_gpu_copyPath=/opt/site/gpu\nmodule_gpu_enabled=0\n');
  assert.equal(disabled.ready, 'unknown');
  assert.match(disabled.reasons[0]!, /^no udiRoot\.conf module with gpu, cuda or nvidia in its name/);
  assert.match(disabled.remediation.join('\n'), /module_gpu_siteFs .*doc\/modules\.rst/);
  const oldHook = await shifter({ 'usr/libexec/shifter/activate_gpu_support.sh': '#!/bin/bash\n' }, '\n');
  assert.equal(oldHook.ready, 'no');
  assert.match(oldHook.reasons[0]!, /needs siteResources/);
  const oldHookOk = await shifter(
    { 'usr/libexec/shifter/activate_gpu_support.sh': '#!/bin/bash\n' },
    '\nsiteResources=/opt/shifter/site-resources\n',
  );
  assert.equal(oldHookOk.ready, 'yes');
  assert.equal(oldHookOk.how, 'CUDA_VISIBLE_DEVICES (set by Slurm) runs activate_gpu_support.sh');
});

test("Sarus GPU: NVIDIA's hook in hooksDir makes it ready (and a user of nvidia-container-cli); no such hook blocks it", async () => {
  const sarusNode = (hooks: Record<string, string>) =>
    host(
      'debian12',
      {
        ...NVIDIA_DEVS,
        'proc/driver/nvidia/version': DRIVER,
        'usr/bin/nvidia-container-cli': '',
        '+var/lib/dpkg/status': dpkgToolkit('1.17.8'),
        'opt/sarus/bin/sarus': '',
        'opt/sarus/etc/sarus.json': JSON.stringify({
          hooksDir: '/opt/sarus/etc/hooks.d',
          runcPath: '/usr/bin/runc',
        }),
        ...hooks,
      },
      OPEN_NVIDIA,
    );
  const nvidiaHook = JSON.stringify({
    version: '1.0.0',
    hook: {
      path: '/usr/bin/nvidia-container-runtime-hook',
      args: ['nvidia-container-runtime-hook', 'prestart'],
    },
    when: { always: true },
    stages: ['prestart'],
  });
  const ok = (
    await runCheck({
      root: sarusNode({ 'opt/sarus/etc/hooks.d/11-nvidia-container-runtime-hook.json': nvidiaHook }),
    })
  ).report;
  const v = ok.accelerators.gpu.runtimes.find((x) => x.runtime === 'sarus');
  assert.ok(v, `sarus judged: ${ok.accelerators.gpu.runtimes.map((x) => x.runtime).join(', ')}`);
  assert.equal(v.ready, 'yes', v.reasons.join('\n'));
  assert.match(
    v.reasons.join('\n'),
    /Sarus's NVIDIA hook: .*11-nvidia-container-runtime-hook\.json: \/usr\/bin\/nvidia-container-runtime-hook/,
  );
  const none = (
    await runCheck({
      root: sarusNode({
        'opt/sarus/etc/hooks.d/05-mpi.json': JSON.stringify({
          version: '1.0.0',
          hook: { path: '/opt/sarus/bin/mpi_hook' },
          stages: ['prestart'],
        }),
      }),
    })
  ).report.accelerators.gpu.runtimes.find((x) => x.runtime === 'sarus')!;
  assert.equal(none.ready, 'no');
  assert.match(
    none.reasons[0]!,
    /^no NVIDIA hook among Sarus's OCI hooks \(Sarus hooks: .*05-mpi\.json: \/opt\/sarus\/bin\/mpi_hook\)/,
  );
  assert.match(none.remediation.join('\n'), /nvidia-container-runtime-hook .*hooksDir/);
});

test("config.toml's ldconfig, envvar and compat-library settings are catalogue findings (CS-A002-A004), not GPU notes", async () => {
  const status = (r: Report, id: string) => r.findings.find((f) => f.id === id)!;
  const withConfig = async (config: string | null) =>
    (
      await runCheck({
        root: nvidiaNode(
          '1.17.8',
          config === null ? {} : { 'etc/nvidia-container-runtime/config.toml': config },
        ),
      })
    ).report;
  // As the packages ship it: the host's ldconfig, the envvar key left out (the toolkit's default, true).
  const shipped = await withConfig(TOOLKIT_CONFIG('#no-cgroups = false'));
  assert.equal(status(shipped, 'CS-A002').status, 'pass');
  assert.match(status(shipped, 'CS-A002').evidence, /ldconfig = "@\/sbin\/ldconfig\.real" \(the host's\)/);
  assert.equal(status(shipped, 'CS-A003').status, 'fail');
  assert.match(
    status(shipped, 'CS-A003').evidence,
    /accept-nvidia-visible-devices-envvar-when-unprivileged not set \(the toolkit's default, true\)/,
  );
  assert.equal(status(shipped, 'CS-A004').status, 'pass');
  assert.match(status(shipped, 'CS-A004').evidence, /allow-cuda-compat-libs-from-container not set \(off\)/);
  // Each setting turned the other way.
  const turned = await withConfig(
    TOOLKIT_CONFIG('#no-cgroups = false')
      .replace('ldconfig = "@/sbin/ldconfig.real"', 'ldconfig = "/sbin/ldconfig"')
      .replace(
        '#accept-nvidia-visible-devices-envvar-when-unprivileged = true',
        'accept-nvidia-visible-devices-envvar-when-unprivileged = false',
      ) + '\n[features]\nallow-cuda-compat-libs-from-container = true\n',
  );
  assert.equal(status(turned, 'CS-A002').status, 'fail');
  assert.match(status(turned, 'CS-A002').evidence, /"\/sbin\/ldconfig" \(a path in the container's root\)/);
  assert.equal(status(turned, 'CS-A003').status, 'pass');
  assert.match(status(turned, 'CS-A003').evidence, /envvar-when-unprivileged = false/);
  assert.equal(status(turned, 'CS-A004').status, 'fail');
  assert.match(status(turned, 'CS-A004').evidence, /allow-cuda-compat-libs-from-container = true/);
  // One source of truth: the GPU section no longer repeats them as notes.
  for (const r of [shipped, turned])
    assert.deepEqual(
      r.accelerators.gpu.notes.filter((n) => /ldconfig|envvar|compat-libs/.test(n)),
      [],
      r.accelerators.gpu.notes.join('\n'),
    );
  // No config.toml: none of them applies.
  const none = await withConfig(null);
  for (const id of ['CS-A002', 'CS-A003', 'CS-A004'])
    assert.equal(status(none, id).status, 'not-applicable', id);
});
