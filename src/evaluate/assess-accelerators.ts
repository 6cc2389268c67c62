// Judges GPU and RDMA readiness per installed runtime (pure): ready yes/no/unknown, reasons and the fix, from facts.
import type { Facts, FactValue } from '../facts/fact.js';
import { formatMemlock, type Memlock } from '../parse/resource-limits.js';
import type { RuntimeVerdict } from './assess-runtime.js';

import type {
  AcceleratorSection,
  AcceleratorVerdict,
  Accelerators,
  TriState as Ready,
} from '../schema/host-report.js';

export type { AcceleratorSection, AcceleratorVerdict, Accelerators, Ready };

/*
 * Below this, MPI over verbs cannot register its buffers. The sources recommend "unlimited" (Open MPI FAQ,
 * "OpenFabrics": locked memory limits; NVIDIA MLNX_OFED user manual); 64 MiB is ctrsafe's own floor for
 * "will fail", well above the kernel's old 64 KiB default and its 8 MiB default since Linux 5.16.
 */
export const MEMLOCK_FLOOR = 64 * 1024 * 1024;

const list = (f: Facts, id: string): string[] | null => {
  const v = f.get(id)?.value;
  return Array.isArray(v) ? v : null;
};
const str = (f: Facts, id: string): string | null => {
  const v = f.get(id)?.value;
  return typeof v === 'string' ? v : null;
};
const ev = (f: Facts, id: string): string => f.get(id)?.evidence ?? `${id} not known`;

type Access = { who: 'all' | 'group' | 'root' | 'unknown'; path: string; text: string };

/** Who may open a device node for reading and writing, from its mode and owner (open(2) on a char device). */
function access(f: Facts, path: string): Access {
  const mode = str(f, `device.${path}.mode`);
  const gid = f.get(`device.${path}.gid`)?.value;
  if (mode === null) return { who: 'unknown', path, text: `${path}: owner and mode not known` };
  const m = parseInt(mode, 8);
  const text = ev(f, `device.${path}.mode`);
  if ((m & 0o006) === 0o006) return { who: 'all', path, text };
  if ((m & 0o060) === 0o060 && gid !== 0)
    return { who: 'group', path, text: `${text} (group ${String(gid)} only)` };
  return { who: 'root', path, text };
}

function judgeDevices(
  f: Facts,
  paths: string[],
  fix: string,
): { ready: Ready; reasons: string[]; fix: string[] } {
  const acc = paths.map((p) => access(f, p));
  const root = acc.filter((a) => a.who === 'root');
  const group = acc.filter((a) => a.who === 'group');
  const unknown = acc.filter((a) => a.who === 'unknown');
  if (root.length)
    return {
      ready: 'no',
      reasons: [`device nodes users cannot open: ${root.map((a) => a.text).join('; ')}`],
      fix: [fix],
    };
  if (group.length)
    return {
      ready: 'unknown',
      reasons: [`only members of the owning group can open: ${group.map((a) => a.text).join('; ')}`],
      fix: [`put the users who run GPU/RDMA jobs in that group, or ${fix}`],
    };
  if (unknown.length) return { ready: 'unknown', reasons: unknown.map((a) => a.text), fix: [] };
  return { ready: 'yes', reasons: [`device nodes open to users (${paths.join(', ')})`], fix: [] };
}

const worse = (a: Ready, b: Ready): Ready =>
  a === 'no' || b === 'no' ? 'no' : a === 'unknown' || b === 'unknown' ? 'unknown' : 'yes';

/**
 * Lowers a verdict to at most `to` because of `reason`. A reason that makes the verdict worse goes first, so the first
 * reason of a verdict that is not "yes" is the one that decided it (the fleet's matrix shows only that one).
 */
function lower(v: { ready: Ready; reasons: string[] }, to: Ready, reason: string): void {
  const next = worse(v.ready, to);
  if (next !== v.ready) v.reasons.unshift(reason);
  else v.reasons.push(reason);
  v.ready = next;
}

const NVIDIA_FIX =
  'let users open them: the driver creates the nodes with its NVreg_DeviceFileMode/NVreg_DeviceFileGID module options (default 0666; "options nvidia NVreg_DeviceFileMode=0666" in /etc/modprobe.d), or set the mode with a udev rule';
const AMD_FIX =
  'give /dev/kfd and /dev/dri/renderD* mode 0666 with a udev rule (ROCm expects users in the "render" and "video" groups)';
const RDMA_FIX =
  'give /dev/infiniband/uverbs* and rdma_cm mode 0666 with a udev rule (verbs opens them as the user)';

const APPTAINER_LIKE = ['apptainer', 'singularity-ce', 'singularity'];

function nvidiaVerdict(
  f: Facts,
  rt: RuntimeVerdict,
  base: { ready: Ready; reasons: string[]; fix: string[] },
): AcceleratorVerdict {
  const v: AcceleratorVerdict = {
    runtime: rt.id,
    how: '',
    ready: base.ready,
    reasons: [...base.reasons],
    remediation: [...base.fix],
  };
  const cli = str(f, 'nvidia_toolkit.cli');
  const noCgroups = f.get('nvidia_toolkit.no_cgroups')?.value;
  const cdi = (list(f, 'cdi.devices') ?? []).filter((d) => d.startsWith('nvidia.com/gpu='));
  const rootless = rt.mode === 'unprivileged' || (rt.mode === null && rt.judged_mode === 'unprivileged');
  if (APPTAINER_LIKE.includes(rt.id)) {
    const nvlib = str(f, rt.id === 'apptainer' ? 'apptainer.nvliblist' : 'singularity.nvliblist');
    const useCli = str(f, `runtime.${rt.id}.conf.use nvidia-container-cli`) === 'yes';
    v.how = useCli
      ? '--nv (runs nvidia-container-cli: "use nvidia-container-cli = yes")'
      : '--nv, or --nvccli';
    if (useCli || !nvlib) {
      if (!cli) {
        lower(
          v,
          'no',
          useCli
            ? '"use nvidia-container-cli = yes" but nvidia-container-cli is not installed'
            : 'nvliblist.conf not found and nvidia-container-cli not installed: neither --nv nor --nvccli can bind the driver',
        );
        v.remediation.push(
          "install libnvidia-container-tools (nvidia-container-cli), or restore the package's nvliblist.conf",
        );
      } else v.reasons.push(`--nvccli: ${ev(f, 'nvidia_toolkit.cli')}`);
    } else v.reasons.push(`--nv binds the driver libraries listed in ${nvlib}`);
    if (rt.mode === 'setuid' && (useCli || cli))
      v.reasons.push(
        `${useCli ? 'every --nv' : '--nvccli'} runs nvidia-container-cli from the root-owned starter: the toolkit's container-escape advisories weigh as host root here`,
      );
    return v;
  }
  if (rt.id === 'podman') {
    v.how = cdi.length
      ? `--device ${cdi.includes('nvidia.com/gpu=all') ? 'nvidia.com/gpu=all' : cdi[0]}`
      : 'the NVIDIA OCI hook';
    if (cdi.length) {
      // With CDI the low-level runtime sets up device access, so the toolkit's cgroup handling (and no-cgroups)
      // does not enter (NVIDIA/nvidia-container-toolkit issue 56, the maintainers' answer).
      v.reasons.push(`CDI: ${ev(f, 'cdi.devices')}`);
      if (rootless && noCgroups === false)
        v.reasons.push('no-cgroups = false in config.toml does not matter for CDI, only for the legacy hook');
    } else if (str(f, 'nvidia_toolkit.oci_hook')) {
      v.reasons.push(
        `no CDI spec for nvidia.com/gpu; the legacy OCI hook ${str(f, 'nvidia_toolkit.oci_hook')} would inject the GPU`,
      );
      if (rootless && noCgroups !== true) {
        lower(
          v,
          'no',
          `rootless: the hook's nvidia-container-cli must not touch cgroups, but no-cgroups is ${noCgroups === false ? 'false' : 'not set (default false)'} (${str(f, 'nvidia_toolkit.config') ?? '/etc/nvidia-container-runtime/config.toml not found'})`,
        );
        v.remediation.push(
          'set no-cgroups = true under [nvidia-container-cli] in /etc/nvidia-container-runtime/config.toml, or better generate a CDI spec: nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml',
        );
      }
    } else {
      lower(v, 'no', 'no CDI spec names nvidia.com/gpu devices and no NVIDIA OCI hook is installed');
      v.remediation.push(
        str(f, 'nvidia_toolkit.ctk')
          ? 'generate a CDI spec: nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml (again after each driver update)'
          : 'install nvidia-container-toolkit, then nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml',
      );
    }
    return v;
  }
  if (rt.id === 'enroot') {
    v.how = 'NVIDIA_VISIBLE_DEVICES through the 98-nvidia.sh hook';
    const hook = str(f, 'enroot.nvidia_hook');
    if (!hook) {
      lower(v, 'no', "enroot's 98-nvidia.sh hook is not installed");
      v.remediation.push(
        "install enroot's hooks (98-nvidia.sh in /etc/enroot/hooks.d, from the enroot package)",
      );
    } else if (!cli) {
      lower(v, 'no', `${hook} runs nvidia-container-cli, which is not installed`);
      v.remediation.push('install libnvidia-container-tools');
    } else
      v.reasons.push(
        `${hook} runs nvidia-container-cli --no-cgroups as the user (enroot conf/hooks/98-nvidia.sh)`,
      );
    return v;
  }
  if (rt.id === 'charliecloud') {
    v.how = 'ch-fromhost --nvidia (copies the host driver libraries into the image)';
    return v;
  }
  if (rt.id === 'shifter') return shifterGpu(f, v);
  if (rt.id === 'sarus') return sarusGpu(f, v, cli);
  lower(v, 'unknown', `ctrsafe does not check ${rt.name}'s GPU support yet`);
  return { ...v, how: 'not checked' };
}

/**
 * Shifter binds the host's /dev into every container (NERSC/shifter src/shifter_core.c), so the GPU is reachable;
 * CUDA also needs the host's driver libraries, which a site injects with a module (udiRoot.conf module_<name>_siteFs
 * or _copyPath with _siteEnvPrepend LD_LIBRARY_PATH, doc/modules.rst; users ask with --module=<name>) or, in
 * installations from before the modules, CSCS's activate_gpu_support.sh run when CUDA_VISIBLE_DEVICES is set.
 */
function shifterGpu(f: Facts, v: AcceleratorVerdict): AcceleratorVerdict {
  const keys = [...f.keys()].filter((k) => k.startsWith('runtime.shifter.conf.module_'));
  const names = [
    ...new Set(
      keys
        .map((k) => /^runtime\.shifter\.conf\.module_(.+?)_[a-z]+$/.exec(k)?.[1])
        .filter((n): n is string => !!n && /gpu|cuda|nvidia/i.test(n)),
    ),
  ].filter((n) => str(f, `runtime.shifter.conf.module_${n}_enabled`) !== '0');
  const defaults = (str(f, 'runtime.shifter.conf.defaultmodules') ?? '').split(',').map((x) => x.trim());
  const hook = str(f, 'shifter.gpu_hook');
  if (names.length) {
    const n = names[0]!;
    v.how = defaults.includes(n) ? `the ${n} module (loaded by default)` : `--module=${n}`;
    v.reasons.push(
      `udiRoot.conf defines the module ${names.join(', ')} (${keys
        .filter((k) => k.includes(`module_${n}_`))
        .map((k) => ev(f, k))
        .join('; ')
        .slice(0, 400)}); /dev is bound into every container`,
    );
  } else if (hook) {
    v.how = 'CUDA_VISIBLE_DEVICES (set by Slurm) runs activate_gpu_support.sh';
    v.reasons.push(
      `${ev(f, 'shifter.gpu_hook')}: CSCS's GPU support binds the driver libraries when CUDA_VISIBLE_DEVICES is set`,
    );
    if (!str(f, 'runtime.shifter.conf.siteresources')) {
      lower(
        v,
        'no',
        'activate_gpu_support.sh needs siteResources in udiRoot.conf (where it binds the driver), which is not set',
      );
      v.remediation.push('set siteResources=/opt/shifter/site-resources in udiRoot.conf');
    }
  } else {
    v.how = '--module=<a site GPU module>';
    lower(
      v,
      'unknown',
      'no udiRoot.conf module with gpu, cuda or nvidia in its name and no activate_gpu_support.sh: /dev is bound, but unless a module ctrsafe cannot recognise injects the host driver libraries, only images carrying the exact host driver libraries can use the GPU',
    );
    v.remediation.push(
      'define a GPU module in udiRoot.conf: module_gpu_siteFs (or _copyPath) with the host driver libraries and module_gpu_siteEnvPrepend=LD_LIBRARY_PATH=... (Shifter doc/modules.rst); users then run shifter --module=gpu',
    );
  }
  return v;
}

/**
 * Sarus: the NVIDIA hook (nvidia-container-runtime-hook, or nvidia-container-toolkit) as an OCI hook in hooksDir;
 * Sarus sets NVIDIA_VISIBLE_DEVICES from the job's CUDA_VISIBLE_DEVICES (Sarus docs, config/gpu-hook). The hook
 * runs nvidia-container-cli.
 */
function sarusGpu(f: Facts, v: AcceleratorVerdict, cli: string | null): AcceleratorVerdict {
  v.how = "CUDA_VISIBLE_DEVICES (set by Slurm) through Sarus's NVIDIA hook";
  const hook = str(f, 'sarus.nvidia_hook');
  const hooks = f.get('sarus.hooks');
  if (hook) {
    v.reasons.push(ev(f, 'sarus.nvidia_hook'));
    if (!cli) {
      lower(v, 'no', "Sarus's NVIDIA hook runs nvidia-container-cli, which is not installed");
      v.remediation.push('install libnvidia-container-tools');
    }
  } else if (hooks) {
    lower(v, 'no', `no NVIDIA hook among Sarus's OCI hooks (${hooks.evidence})`);
    v.remediation.push(
      'add an OCI hook JSON for nvidia-container-runtime-hook (prestart, with the args [path, "prestart"]) to Sarus\'s hooksDir (Sarus docs: config/gpu-hook)',
    );
  } else
    lower(v, 'unknown', "Sarus's hooksDir was not read (no hooksDir in sarus.json, or sarus.json not found)");
  return v;
}

/** One device judgement for every installed runtime, with how each asks for the device; "unknown" for the unchecked. */
function sameForEach(
  runtimes: RuntimeVerdict[],
  how: Record<string, string>,
  base: { ready: Ready; reasons: string[]; fix: string[] },
  what: 'GPU' | 'RDMA',
): AcceleratorVerdict[] {
  return runtimes
    .filter((r) => r.installed)
    .map((r) => {
      const v = {
        runtime: r.id,
        how: how[r.id] ?? 'not checked',
        ready: base.ready,
        reasons: [...base.reasons],
        remediation: [...base.fix],
      };
      if (!how[r.id]) lower(v, 'unknown', `ctrsafe does not check ${r.name}'s ${what} support yet`);
      return v;
    });
}

const AMD_HOW: Record<string, string> = {
  apptainer: '--rocm',
  'singularity-ce': '--rocm',
  podman:
    '--device /dev/kfd --device /dev/dri (rootless with --group-add keep-groups when access is by group)',
  charliecloud: '/dev is bound into every container',
  enroot: '/dev/kfd and /dev/dri bound with --mount',
};

function gpuSection(f: Facts, runtimes: RuntimeVerdict[]): Accelerators['gpu'] {
  const nv = list(f, 'gpu.nvidia.devices');
  const amd = list(f, 'gpu.amd.devices');
  const render = list(f, 'gpu.render.devices') ?? [];
  const driver = str(f, 'gpu.nvidia.driver_version') ?? str(f, 'gpu.nvidia.module_version');
  const toolkit = str(f, 'component.nvidia-container-toolkit.version');
  const cdi = list(f, 'cdi.devices') ?? [];
  const problems = list(f, 'cdi.invalid') ?? [];
  const notes: string[] = [];
  const vendor =
    nv?.length || driver
      ? 'nvidia'
      : amd?.length || f.get('gpu.amd.amdgpu_loaded')?.value === true
        ? 'amd'
        : null;
  const s: Accelerators['gpu'] = {
    present: 'unknown',
    summary: '',
    devices: [...(nv ?? []), ...(amd ?? []), ...(vendor === 'amd' ? render : [])],
    notes,
    problems: problems.map((p) => `invalid CDI spec: ${p}`),
    runtimes: [],
    vendor,
    driver_version: driver,
    toolkit_version: toolkit,
    cdi_devices: cdi,
  };
  const unsafe = list(f, 'cdi.unsafe_specs');
  if (unsafe)
    s.problems.push(
      `CDI specs writable by non-root users (their hooks run with the runtime's privileges): ${unsafe.join(', ')}`,
    );
  if (toolkit)
    notes.push(
      `NVIDIA container toolkit ${toolkit} (${ev(f, 'component.nvidia-container-toolkit.version')})`,
    );
  // config.toml's ldconfig, envvar and compat-library settings are catalogue rules (CS-A002-A004,
  // src/rules/catalogue/nvidia-toolkit-rules.ts): findings, not notes here.
  if (vendor === null) {
    if (nv === null && amd === null) {
      s.summary = toolkit
        ? 'GPU devices unknown (/dev not readable here); the NVIDIA container toolkit is installed'
        : 'GPU devices unknown: /dev could not be listed';
      return s;
    }
    s.present = 'no';
    s.summary = render.length
      ? `no GPU compute device on this node (render nodes ${render.join(', ')} only)`
      : 'no GPU on this node';
    if (toolkit) s.summary += `; the NVIDIA container toolkit ${toolkit} is installed anyway`;
    return s;
  }
  s.present = 'yes';
  if (vendor === 'nvidia') {
    const gpus = (nv ?? []).filter((d) => /^\/dev\/nvidia\d+$/.test(d)).length;
    s.summary = `NVIDIA: ${gpus} GPU${gpus === 1 ? '' : 's'}, driver ${driver ?? 'not loaded or unknown'}${toolkit ? `, toolkit ${toolkit}` : ', no NVIDIA container toolkit'}${cdi.length ? `, CDI ${cdi.length} devices` : ', no CDI spec'}`;
    const needed = (nv ?? []).filter((d) => /^\/dev\/nvidia(\d+|ctl|-uvm)$/.test(d));
    const base = judgeDevices(f, needed, NVIDIA_FIX);
    if (!driver) {
      lower(
        base,
        'unknown',
        'driver version not read (/proc/driver/nvidia/version, /sys/module/nvidia/version): is the nvidia module loaded?',
      );
    }
    if (!needed.some((d) => d === '/dev/nvidia-uvm'))
      base.reasons.push(
        '/dev/nvidia-uvm is missing: CUDA needs it (created by nvidia-modprobe or the nvidia-uvm module on first use)',
      );
    s.runtimes = runtimes.filter((r) => r.installed).map((r) => nvidiaVerdict(f, r, base));
  } else {
    s.summary = `AMD GPU: ${s.devices.length} device nodes (amdgpu ${f.get('gpu.amd.amdgpu_loaded')?.value === true ? 'loaded' : 'not seen in /sys/module'})`;
    const base = judgeDevices(f, s.devices, AMD_FIX);
    s.runtimes = sameForEach(runtimes, AMD_HOW, base, 'GPU');
  }
  return s;
}

function memlockOf(f: Facts): { bytes: Memlock | null; source: string | null } {
  const cands: [Memlock, string][] = [];
  for (const id of ['memlock.process_soft', 'memlock.pam_soft']) {
    const v: FactValue | undefined = f.get(id)?.value;
    if (typeof v === 'number' || v === 'unlimited') cands.push([v, ev(f, id)]);
  }
  if (cands.length === 0) return { bytes: null, source: null };
  // The lower of the two is what a job can count on.
  cands.sort((a, b) => (a[0] === 'unlimited' ? 1 : b[0] === 'unlimited' ? -1 : a[0] - b[0]));
  return { bytes: cands[0]![0], source: cands.map((c) => c[1]).join('; ') };
}

const RDMA_HOW: Record<string, string> = {
  apptainer: '/dev is bound by default ("mount dev = yes")',
  'singularity-ce': '/dev is bound by default ("mount dev = yes")',
  singularity: '/dev is bound by default ("mount dev = yes")',
  podman: '--device /dev/infiniband/uverbsN (and rdma_cm), --ulimit memlock=-1 up to the hard limit',
  charliecloud: '/dev is bound into every container',
  enroot: 'the 99-mellanox.sh hook (MELLANOX_VISIBLE_DEVICES)',
  shifter: '/dev is bound into every container (NERSC/shifter src/shifter_core.c)',
};

/**
 * Users and groups whose own limits.conf entries give them another memlock than "*" (pam_limits: a user's entries
 * beat their groups' entries, which beat "*"; limits.conf(5), pam_limits.c process_limit). Those below the floor are
 * a problem (their MPI jobs will fail whatever the default); when the default is too low, those at or above it are
 * the way out for their members.
 */
function judgeOverrides(
  f: Facts,
  s: Accelerators['rdma'],
  base: { ready: Ready; reasons: string[]; fix: string[] },
  def: Memlock | null,
): void {
  const own = (list(f, 'memlock.pam_overrides') ?? []).flatMap((x) => {
    const m = /^(\S+)=(unlimited|\d{1,19}) \((.*)\)$/.exec(x);
    return m
      ? [{ domain: m[1]!, bytes: m[2] === 'unlimited' ? ('unlimited' as const) : Number(m[2]), at: m[3]! }]
      : [];
  });
  if (!own.length) return;
  const low = (b: Memlock) => b !== 'unlimited' && b < MEMLOCK_FLOOR;
  const name = (d: string) => (d.startsWith('@') ? `members of ${d}` : `user ${d}`);
  const below = own.filter((o) => low(o.bytes));
  const enough = own.filter((o) => !low(o.bytes));
  const at = ev(f, 'memlock.pam_overrides');
  if (below.length)
    s.problems.push(
      `memlock below ${formatMemlock(MEMLOCK_FLOOR)} for ${below.map((o) => `${name(o.domain)} (${formatMemlock(o.bytes)})`).join(', ')}: their MPI jobs over verbs will fail whatever "*" allows (${below.map((o) => o.at).join('; ')})`,
    );
  const groups = enough.filter((o) => o.domain.startsWith('@'));
  if (groups.length && def !== null && low(def))
    base.fix.push(
      `or put the users who run MPI jobs in group ${groups.map((o) => o.domain.slice(1)).join(' or ')} (pam_limits gives ${groups.map((o) => `${o.domain} ${formatMemlock(o.bytes)}`).join(', ')})`,
    );
  s.notes.push(
    `users and groups with memlock entries of their own get them, not "*" (pam_limits: a user's entries before their groups', theirs before "*"): ${at}`,
  );
}

function rdmaSection(f: Facts, runtimes: RuntimeVerdict[]): Accelerators['rdma'] {
  const devs = list(f, 'rdma.devices');
  const mem = memlockOf(f);
  const s: Accelerators['rdma'] = {
    present: 'unknown',
    summary: '',
    devices: devs ?? [],
    notes: [],
    problems: [],
    runtimes: [],
    memlock: mem,
  };
  if (devs === null) {
    s.summary = 'RDMA devices unknown: /dev could not be listed';
    return s;
  }
  if (!devs.some((d) => /uverbs/.test(d))) {
    s.present = 'no';
    s.summary = 'no RDMA (InfiniBand/RoCE verbs) device on this node';
    return s;
  }
  s.present = 'yes';
  const base = judgeDevices(
    f,
    devs.filter((d) => /uverbs|rdma_cm/.test(d)),
    RDMA_FIX,
  );
  if (mem.bytes === null) {
    lower(
      base,
      'unknown',
      'the locked-memory limit users get is not known (no /proc/self/limits here and no "* memlock" line in limits.conf)',
    );
  } else if (mem.bytes !== 'unlimited' && mem.bytes < MEMLOCK_FLOOR) {
    lower(
      base,
      'no',
      `memlock ${formatMemlock(mem.bytes)} is below ${formatMemlock(MEMLOCK_FLOOR)}: MPI over verbs will fail to register memory in containers, which cannot raise it (${mem.source})`,
    );
    base.fix.push(
      'set "* soft memlock unlimited" and "* hard memlock unlimited" in /etc/security/limits.d/, and LimitMEMLOCK=infinity for slurmd',
    );
  } else
    base.reasons.push(
      `memlock ${formatMemlock(mem.bytes)}${mem.bytes === 'unlimited' ? '' : ' (unlimited is recommended)'} (${mem.source})`,
    );
  judgeOverrides(f, s, base, mem.bytes);
  const prop = str(f, 'slurm.propagate_limits');
  const except = str(f, 'slurm.propagate_limits_except');
  if (str(f, 'slurm.conf')) {
    const propagated =
      !/MEMLOCK/i.test(except ?? '') &&
      (prop === null || /ALL|MEMLOCK/i.test(prop)) &&
      !/^NONE$/i.test(prop ?? '');
    if (propagated) {
      s.notes.push(
        `Slurm copies the submitting shell's memlock limit into jobs (PropagateResourceLimits ${prop ?? 'not set, default ALL'}): a login node with a low limit gives every job a low limit`,
      );
      base.fix.push('add PropagateResourceLimitsExcept=MEMLOCK to slurm.conf (slurm.conf(5))');
    } else
      s.notes.push(
        `Slurm does not propagate MEMLOCK (${except ? `PropagateResourceLimitsExcept=${except}` : `PropagateResourceLimits=${prop}`})`,
      );
  }
  const verbs = devs.filter((d) => /uverbs/.test(d)).length;
  s.summary = `RDMA: ${verbs} verbs device${verbs === 1 ? '' : 's'}, memlock ${mem.bytes === null ? 'unknown' : formatMemlock(mem.bytes)}`;
  s.runtimes = sameForEach(runtimes, RDMA_HOW, base, 'RDMA');
  return s;
}

export function assessAccelerators(facts: Facts, runtimes: RuntimeVerdict[]): Accelerators {
  return { gpu: gpuSection(facts, runtimes), rdma: rdmaSection(facts, runtimes) };
}
