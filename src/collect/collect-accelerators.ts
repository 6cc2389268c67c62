// Collects GPU and RDMA facts: device nodes, the loaded driver, CDI specs, the NVIDIA toolkit's config, memlock limits.
import { parse as parseToml } from 'smol-toml';
import type { HostRoot } from '../host/host-root.js';
import { addFact, type Facts } from '../facts/fact.js';
import { parseCdiSpec } from '../parse/cdi-spec.js';
import {
  formatMemlock,
  memlockByDomain,
  parseLimitsConfMemlock,
  parseProcLimitsMemlock,
  parseSlurmConfKeys,
  type LimitsLine,
} from '../parse/resource-limits.js';
import { slurmPartitionsOf } from '../parse/slurm-partitions.js';
import { readProblem } from './read-helpers.js';

const MAX_DEVICES = 256;
const MAX_CDI_FILES = 64;
const MAX_CDI_BYTES = 1024 * 1024;
const MAX_CONFIG_BYTES = 256 * 1024;
const MAX_LIMITS_LINES = 2000;

/** Linux's dev_t split (include/linux/kdev_t.h new_decode_dev; glibc gnu_dev_major/minor). */
function majorMinor(rdev: number): string {
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev >>> 0;
  const major = ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0);
  const minor = (lo & 0xff) | ((lo >>> 12) & 0xfff00);
  return `${major}:${minor}`;
}

/** Device nodes by directory and name pattern: NVIDIA (nvidia-modprobe's names), AMD ROCm, RDMA (rdma_core). */
const DEVICE_GROUPS: { fact: string; dir: string; re: RegExp }[] = [
  { fact: 'gpu.nvidia.devices', dir: '/dev', re: /^nvidia(\d{1,4}|ctl|-uvm|-uvm-tools|-modeset)$/ },
  { fact: 'gpu.nvidia.devices', dir: '/dev/nvidia-caps', re: /^nvidia-cap\d{1,6}$/ },
  { fact: 'gpu.amd.devices', dir: '/dev', re: /^kfd$/ },
  { fact: 'gpu.render.devices', dir: '/dev/dri', re: /^renderD\d{1,4}$/ },
  { fact: 'rdma.devices', dir: '/dev/infiniband', re: /^(uverbs\d{1,4}|rdma_cm|umad\d{1,4}|issm\d{1,4})$/ },
];

function collectDevices(root: HostRoot, facts: Facts): void {
  const dev = root.list('/dev', 8192);
  // Without a /dev to list (a tree copied without it) nothing is said: absence is not known.
  if (!dev.ok) return;
  addFact(facts, 'host.dev_listed', true, 'file', `${root.display('/dev')} listed`);
  const found = new Map<string, string[]>();
  let count = 0;
  for (const g of DEVICE_GROUPS) {
    if (!found.has(g.fact)) found.set(g.fact, []);
    const l = g.dir === '/dev' ? dev : root.list(g.dir, 4096);
    if (!l.ok) continue;
    for (const n of l.names) {
      if (!g.re.test(n) || count >= MAX_DEVICES) continue;
      const p = `${g.dir}/${n}`;
      const st = root.stat(p);
      if (!st.ok || (st.type !== 'char' && (root.isLive || st.type !== 'file'))) continue;
      count++;
      found.get(g.fact)!.push(p);
      const mode = (st.perm & 0o7777).toString(8).padStart(4, '0');
      // A copied tree may hold a regular file where the host had a node: its mode and owner still say who may open it.
      const what =
        st.type === 'char'
          ? `character device ${majorMinor(st.rdev)}`
          : 'a regular file standing for a device';
      const ev = `${root.display(p)}: ${what}, owner ${st.uid}:${st.gid}, mode ${mode}`;
      addFact(facts, `device.${p}.type`, st.type, 'file', ev);
      if (st.type === 'char') addFact(facts, `device.${p}.rdev`, majorMinor(st.rdev), 'file', ev);
      if (!st.ownerKnown) continue;
      addFact(facts, `device.${p}.mode`, mode, 'file', ev);
      addFact(facts, `device.${p}.uid`, st.uid, 'file', ev);
      addFact(facts, `device.${p}.gid`, st.gid, 'file', ev);
    }
  }
  for (const [id, paths] of found)
    addFact(
      facts,
      id,
      paths,
      'file',
      paths.length ? `found ${paths.join(', ')}` : `none under ${root.display('/dev')}`,
    );
}

function collectDrivers(root: HostRoot, facts: Facts): void {
  const v = root.readText('/proc/driver/nvidia/version', 4096);
  if (v.ok && !v.binary) {
    // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar ..." (open modules say "Open Kernel Module for x86_64").
    const m = /^NVRM version:.*?\s(\d{2,4}\.\d{1,4}(?:\.\d{1,4})?)\s/m.exec(v.text);
    if (m)
      addFact(
        facts,
        'gpu.nvidia.driver_version',
        m[1]!,
        'file',
        `${root.display(v.path)}: "${v.text.split('\n')[0]!.trim().slice(0, 120)}"`,
      );
  }
  const s = root.readText('/sys/module/nvidia/version', 256);
  if (s.ok && !s.binary && /^\d{2,4}\.\d{1,4}(\.\d{1,4})?$/.test(s.text.trim()))
    addFact(
      facts,
      'gpu.nvidia.module_version',
      s.text.trim(),
      'file',
      `${root.display(s.path)}: ${s.text.trim()}`,
    );
  const amd = root.stat('/sys/module/amdgpu');
  if (amd.ok && amd.type === 'dir')
    addFact(
      facts,
      'gpu.amd.amdgpu_loaded',
      true,
      'file',
      `${root.display('/sys/module/amdgpu')} exists (amdgpu is loaded)`,
    );
}

/** CDI spec directories (CDI SPEC.md "CDI JSON Specification": /etc/cdi and /var/run/cdi). */
const CDI_DIRS = ['/etc/cdi', '/var/run/cdi'];

function collectCdi(root: HostRoot, facts: Facts): void {
  const specs: string[] = [];
  const invalid: string[] = [];
  const devices: string[] = [];
  const hooks: string[] = [];
  const mounts: string[] = [];
  const unsafe: string[] = [];
  const toolkitHooks: string[] = [];
  let files = 0;
  for (const d of CDI_DIRS) {
    const l = root.list(d, 1024);
    if (!l.ok) continue;
    for (const n of l.names) {
      if (!/\.(json|ya?ml)$/i.test(n)) continue;
      const p = `${d}/${n}`;
      if (++files > MAX_CDI_FILES) {
        invalid.push(`${root.display(d)}: more than ${MAX_CDI_FILES} spec files, the rest not read`);
        break;
      }
      const r = root.readText(p, MAX_CDI_BYTES);
      const problem = readProblem(r, root, MAX_CDI_BYTES);
      if (problem) {
        invalid.push(problem);
        continue;
      }
      const parsed = parseCdiSpec((r as { text: string }).text, n);
      if (!parsed.ok) {
        invalid.push(`${root.display(p)}: ${parsed.reason}`);
        continue;
      }
      specs.push(p);
      devices.push(...parsed.spec.devices.slice(0, 256));
      hooks.push(...parsed.spec.hooks.slice(0, 64));
      // The toolkit's own hooks (nvidia-ctk hook, nvidia-cdi-hook): CVE-2025-23266 is reached through them.
      for (const c of parsed.spec.hookCalls.slice(0, 64))
        if (/\/nvidia-(ctk|cdi-hook) /.test(c)) toolkitHooks.push(`${root.display(p)}: ${c}`);
      mounts.push(...parsed.spec.mounts.slice(0, 256));
      // Podman and CRI-O run a spec's hooks with the runtime's privileges: a spec others can write is a root shell.
      const st = root.stat(p);
      if (st.ok && st.ownerKnown && (st.uid !== 0 || (st.perm & 0o022) !== 0))
        unsafe.push(`${p} (owner ${st.uid}, mode ${(st.perm & 0o7777).toString(8).padStart(4, '0')})`);
    }
  }
  if (specs.length === 0 && invalid.length === 0) return;
  const u = <T>(a: T[]) => [...new Set(a)];
  addFact(
    facts,
    'cdi.specs',
    specs,
    'file',
    specs.length ? `valid CDI specs: ${specs.map((p) => root.display(p)).join(', ')}` : 'no valid CDI spec',
  );
  addFact(
    facts,
    'cdi.devices',
    u(devices),
    'file',
    `CDI devices: ${u(devices).slice(0, 12).join(', ') || 'none'}`,
  );
  addFact(facts, 'cdi.hooks', u(hooks), 'file', `CDI hooks: ${u(hooks).join(', ') || 'none'}`);
  addFact(facts, 'cdi.mounts', u(mounts), 'file', `CDI would bind ${u(mounts).length} host paths`);
  addFact(
    facts,
    'cdi.toolkit_hooks',
    toolkitHooks,
    'file',
    toolkitHooks.length
      ? `NVIDIA toolkit hooks in CDI specs: ${toolkitHooks.slice(0, 8).join('; ')}`
      : `no CDI spec runs an NVIDIA toolkit hook (${specs.map((p) => root.display(p)).join(', ') || 'no valid spec'})`,
  );
  if (invalid.length) addFact(facts, 'cdi.invalid', invalid, 'file', invalid.join('; '));
  if (unsafe.length)
    addFact(
      facts,
      'cdi.unsafe_specs',
      unsafe,
      'file',
      `CDI specs writable by non-root: ${unsafe.join(', ')}`,
    );
}

const TOOLKIT_CONFIG = '/etc/nvidia-container-runtime/config.toml';

/** The settings of config.toml (nvidia-container-toolkit's internal/config) that decide rootless use and exposure. */
function collectToolkitConfig(root: HostRoot, facts: Facts): void {
  const r = root.readText(TOOLKIT_CONFIG, MAX_CONFIG_BYTES);
  if (!r.ok && r.missing) return;
  const problem = readProblem(r, root, MAX_CONFIG_BYTES);
  if (problem) {
    addFact(facts, 'nvidia_toolkit.config_problem', problem, 'file', problem);
    return;
  }
  let doc: Record<string, unknown>;
  try {
    doc = parseToml((r as { text: string }).text) as Record<string, unknown>;
  } catch (e) {
    const why = `${root.display(TOOLKIT_CONFIG)}: not valid TOML (${(e as Error).message.split('\n')[0]!.slice(0, 120)})`;
    addFact(facts, 'nvidia_toolkit.config_problem', why, 'file', why);
    return;
  }
  const at = root.display(TOOLKIT_CONFIG);
  addFact(facts, 'nvidia_toolkit.config', TOOLKIT_CONFIG, 'file', `read ${at}`);
  const table = (k: string): Record<string, unknown> => {
    const t = doc[k];
    return typeof t === 'object' && t !== null && !Array.isArray(t) ? (t as Record<string, unknown>) : {};
  };
  const take = (
    t: Record<string, unknown>,
    section: string,
    key: string,
    id: string,
    type: 'boolean' | 'string',
  ) => {
    const v = t[key];
    if (typeof v === type)
      addFact(
        facts,
        `nvidia_toolkit.${id}`,
        v as boolean | string,
        'file',
        `${at}: ${section}${key} = ${JSON.stringify(v).slice(0, 120)}`,
      );
  };
  take(
    doc,
    '',
    'accept-nvidia-visible-devices-envvar-when-unprivileged',
    'accept_envvar_unprivileged',
    'boolean',
  );
  // Left out, it is true: the packaged config.toml's commented default line, and internal/config's default.
  if (doc['accept-nvidia-visible-devices-envvar-when-unprivileged'] === undefined)
    addFact(
      facts,
      'nvidia_toolkit.accept_envvar_unprivileged',
      true,
      'file',
      `${at}: accept-nvidia-visible-devices-envvar-when-unprivileged not set (the toolkit's default, true)`,
    );
  take(doc, '', 'accept-nvidia-visible-devices-as-volume-mounts', 'accept_volume_mounts', 'boolean');
  const cli = table('nvidia-container-cli');
  take(cli, '[nvidia-container-cli] ', 'no-cgroups', 'no_cgroups', 'boolean');
  take(cli, '[nvidia-container-cli] ', 'ldconfig', 'ldconfig', 'string');
  // "@" marks a host path; any other is resolved in the container's root (libnvidia-container's --ldconfig). A fact
  // of its own because the rules' string operators match whole words (CS-A002).
  if (typeof cli.ldconfig === 'string')
    addFact(
      facts,
      'nvidia_toolkit.ldconfig_host',
      cli.ldconfig.startsWith('@'),
      'file',
      `${at}: [nvidia-container-cli] ldconfig = ${JSON.stringify(cli.ldconfig).slice(0, 120)} (${cli.ldconfig.startsWith('@') ? "the host's" : "a path in the container's root"})`,
    );
  take(cli, '[nvidia-container-cli] ', 'path', 'cli_path', 'string');
  take(table('nvidia-container-runtime'), '[nvidia-container-runtime] ', 'mode', 'runtime_mode', 'string');
  take(
    table('nvidia-container-runtime-hook'),
    '[nvidia-container-runtime-hook] ',
    'path',
    'hook_path',
    'string',
  );
  const features = table('features');
  take(features, '[features] ', 'disable-cuda-compat-lib-hook', 'disable_cuda_compat_lib_hook', 'boolean');
  take(
    features,
    '[features] ',
    'allow-cuda-compat-libs-from-container',
    'allow_cuda_compat_libs_from_container',
    'boolean',
  );
  // A feature flag, off unless set (toolkit 1.17.4 CHANGELOG).
  if (features['allow-cuda-compat-libs-from-container'] === undefined)
    addFact(
      facts,
      'nvidia_toolkit.allow_cuda_compat_libs_from_container',
      false,
      'file',
      `${at}: [features] allow-cuda-compat-libs-from-container not set (off)`,
    );
}

/** Where the GPU integrations of each runtime live (their packages' default paths). */
const GPU_FILES: [string, string[]][] = [
  ['nvidia_toolkit.cli', ['/usr/bin/nvidia-container-cli', '/usr/local/bin/nvidia-container-cli']],
  ['nvidia_toolkit.ctk', ['/usr/bin/nvidia-ctk', '/usr/local/bin/nvidia-ctk']],
  [
    'nvidia_toolkit.oci_hook',
    [
      '/usr/share/containers/oci/hooks.d/oci-nvidia-hook.json',
      '/etc/containers/oci/hooks.d/oci-nvidia-hook.json',
    ],
  ],
  ['enroot.nvidia_hook', ['/etc/enroot/hooks.d/98-nvidia.sh', '/usr/share/enroot/hooks.d/98-nvidia.sh']],
  [
    'enroot.mellanox_hook',
    ['/etc/enroot/hooks.d/99-mellanox.sh', '/usr/share/enroot/hooks.d/99-mellanox.sh'],
  ],
  ['apptainer.nvliblist', ['/etc/apptainer/nvliblist.conf', '/usr/local/etc/apptainer/nvliblist.conf']],
  ['singularity.nvliblist', ['/etc/singularity/nvliblist.conf', '/usr/local/etc/singularity/nvliblist.conf']],
];

function collectGpuFiles(root: HostRoot, facts: Facts): void {
  for (const [id, paths] of GPU_FILES)
    for (const p of paths) {
      const st = root.stat(p);
      if (!st.ok || st.type !== 'file') continue;
      addFact(facts, id, p, 'file', `${root.display(p)} exists`);
      break;
    }
}

/**
 * Container engines that would run nvidia-container-runtime as their OCI runtime (its legacy mode adds the toolkit's
 * hooks to every GPU container): Docker's daemon.json, containerd's config, Podman's containers.conf.
 */
const ENGINE_CONFIGS = [
  '/etc/docker/daemon.json',
  '/etc/containerd/config.toml',
  '/etc/containers/containers.conf',
  '/usr/share/containers/containers.conf',
];

function collectEngineRuntimes(root: HostRoot, facts: Facts): void {
  const bin = ['/usr/bin/nvidia-container-runtime', '/usr/local/bin/nvidia-container-runtime'].find((p) => {
    const st = root.stat(p);
    return st.ok && st.type === 'file';
  });
  if (!bin) {
    addFact(facts, 'nvidia_toolkit.engine_configs', [], 'file', 'nvidia-container-runtime is not installed');
    return;
  }
  const files = [...ENGINE_CONFIGS];
  const d = root.list('/etc/containers/containers.conf.d', 64);
  if (d.ok)
    files.push(
      ...d.names.filter((n) => n.endsWith('.conf')).map((n) => `/etc/containers/containers.conf.d/${n}`),
    );
  const read: string[] = [];
  const naming: string[] = [];
  for (const f of files) {
    const r = root.readText(f, MAX_CONFIG_BYTES);
    if (!r.ok || r.binary) continue;
    read.push(root.display(f));
    // A commented line does not configure anything (TOML and containers.conf comments start with #).
    const live = r.text.split('\n').filter((l) => !/^\s*#/.test(l));
    if (live.some((l) => l.includes('nvidia-container-runtime'))) naming.push(f);
  }
  addFact(
    facts,
    'nvidia_toolkit.engine_configs',
    naming,
    'file',
    naming.length
      ? `nvidia-container-runtime is configured in ${naming.map((f) => root.display(f)).join(', ')}`
      : `no engine configuration names nvidia-container-runtime (read: ${read.join(', ') || 'none found'})`,
  );
}

/** Where CSCS's Shifter GPU support installed its hook (NERSC/shifter contrib/gpu, removed for site modules since). */
const SHIFTER_GPU_HOOK = [
  '/usr/libexec/shifter/activate_gpu_support.sh',
  '/opt/shifter/udiRoot/libexec/shifter/activate_gpu_support.sh',
];

/**
 * Sarus runs the OCI hooks whose JSON files are in sarus.json's hooksDir (Sarus docs, config/configure_hooks);
 * GPU support is NVIDIA's nvidia-container-runtime-hook (or nvidia-container-toolkit) as a prestart hook there
 * (Sarus docs, config/gpu-hook). Shifter: CSCS's activate_gpu_support.sh, for installations that still have it.
 */
function collectSarusShifterGpu(root: HostRoot, facts: Facts): void {
  const hook = SHIFTER_GPU_HOOK.find((p) => {
    const st = root.stat(p);
    return st.ok && st.type === 'file';
  });
  if (hook) addFact(facts, 'shifter.gpu_hook', hook, 'file', `${root.display(hook)} exists`);
  const dir = facts.get('runtime.sarus.conf.hooksdir')?.value;
  if (typeof dir !== 'string' || !dir.startsWith('/')) return;
  const l = root.list(dir, 256);
  if (!l.ok) {
    addFact(
      facts,
      'sarus.hooks',
      [],
      'file',
      `${root.display(dir)} (hooksDir) could not be listed: ${l.reason}`,
    );
    return;
  }
  const hooks: string[] = [];
  const nvidia: string[] = [];
  for (const n of l.names.filter((x) => x.endsWith('.json')).slice(0, 64)) {
    const p = `${dir.replace(/\/+$/, '')}/${n}`;
    const r = root.readText(p, 64 * 1024);
    if (!r.ok || r.binary || r.truncated) continue;
    let path: unknown;
    try {
      path = ((JSON.parse(r.text) as { hook?: { path?: unknown } }).hook ?? {}).path;
    } catch {
      continue;
    }
    if (typeof path !== 'string') continue;
    hooks.push(`${root.display(p)}: ${path.slice(0, 200)}`);
    if (/\/nvidia-container-(runtime-hook|toolkit)(\.[a-z0-9_]+)?$/.test(path))
      nvidia.push(`${root.display(p)}: ${path}`);
  }
  addFact(
    facts,
    'sarus.hooks',
    hooks,
    'file',
    hooks.length ? `Sarus hooks: ${hooks.join('; ')}` : `no OCI hook in ${root.display(dir)}`,
  );
  if (nvidia.length)
    addFact(facts, 'sarus.nvidia_hook', nvidia[0]!, 'file', `Sarus's NVIDIA hook: ${nvidia.join('; ')}`);
}

function collectMemlock(root: HostRoot, facts: Facts): void {
  if (root.isLive) {
    const r = root.readText('/proc/self/limits', 16384);
    const m = r.ok ? parseProcLimitsMemlock(r.text) : null;
    if (m) {
      const ev = `/proc/self/limits: Max locked memory soft ${formatMemlock(m.soft)}, hard ${formatMemlock(m.hard)} (ctrsafe's own process)`;
      addFact(facts, 'memlock.process_soft', m.soft, 'probe', ev);
      addFact(facts, 'memlock.process_hard', m.hard, 'probe', ev);
    }
  }
  // pam_limits reads limits.conf, then limits.d/*.conf in C-locale order, as if concatenated (pam_limits(8)).
  const files = ['/etc/security/limits.conf'];
  const d = root.list('/etc/security/limits.d', 256);
  if (d.ok)
    files.push(...d.names.filter((n) => n.endsWith('.conf')).map((n) => `/etc/security/limits.d/${n}`));
  const lines: (LimitsLine & { at: string })[] = [];
  for (const f of files) {
    const r = root.readText(f, MAX_CONFIG_BYTES);
    if (!r.ok || r.binary || r.truncated) continue;
    for (const l of parseLimitsConfMemlock(r.text)) {
      lines.push({ ...l, at: `${root.display(f)}:${l.line}` });
      if (lines.length >= MAX_LIMITS_LINES) break;
    }
  }
  const domains = memlockByDomain(lines);
  const def = domains.find((d) => d.kind === 'default');
  // The default domain: what a user without an entry of their own or of a group gets (limits.conf(5)).
  if (def?.effective != null) {
    const capped =
      def.soft !== def.effective
        ? `, lowered to its hard limit (${def.hardAt}: ${formatMemlock(def.hard!)})`
        : '';
    addFact(
      facts,
      'memlock.pam_soft',
      def.effective,
      'file',
      `${def.softAt}: * soft memlock ${formatMemlock(def.soft!)}${capped}`,
    );
  }
  if (def?.hard != null)
    addFact(
      facts,
      'memlock.pam_hard',
      def.hard,
      'file',
      `${def.hardAt}: * hard memlock ${formatMemlock(def.hard)}`,
    );
  // Users and groups with entries of their own: "DOMAIN=VALUE (FILE:LINE, ...)", VALUE the soft limit they get.
  const own = domains.filter((d) => d.kind !== 'default' && d.effective !== null).slice(0, 64);
  if (own.length)
    addFact(
      facts,
      'memlock.pam_overrides',
      own.map((d) => `${d.domain}=${d.effective} (${d.at.join(', ')})`),
      'file',
      own.map((d) => `${d.domain} memlock ${formatMemlock(d.effective!)} (${d.at.join(', ')})`).join('; '),
    );
}

/**
 * The partitions slurm.conf puts this node in, by its host name and short name (Slurm's NodeName is usually the
 * short one): the fleet's partition grid groups nodes by them. Not said when the host name is not known.
 */
function collectSlurmPartitions(root: HostRoot, facts: Facts, p: string, text: string): void {
  const name = facts.get('host.hostname')?.value;
  if (typeof name !== 'string' || !name) return;
  const { partitions, unresolved } = slurmPartitionsOf(text, [...new Set([name, name.split('.')[0]!])]);
  addFact(
    facts,
    'slurm.partitions',
    partitions,
    'file',
    `${root.display(p)}: ${name} is in ${partitions.length ? `PartitionName=${partitions.join(', ')}` : 'no partition'}` +
      (unresolved.length ? `; ${unresolved.join(', ')} name a NodeSet (not resolved)` : ''),
  );
}

const SLURM_CONF = ['/etc/slurm/slurm.conf', '/etc/slurm-llnl/slurm.conf', '/usr/local/etc/slurm.conf'];

function collectSlurmLimits(root: HostRoot, facts: Facts): void {
  for (const p of SLURM_CONF) {
    const r = root.readText(p, 4 * 1024 * 1024);
    if (!r.ok || r.binary || r.truncated) continue;
    const keys = parseSlurmConfKeys(r.text, ['PropagateResourceLimits', 'PropagateResourceLimitsExcept']);
    addFact(facts, 'slurm.conf', p, 'file', `read ${root.display(p)}`);
    collectSlurmPartitions(root, facts, p, r.text);
    for (const [k, v] of keys)
      addFact(
        facts,
        k === 'PropagateResourceLimits' ? 'slurm.propagate_limits' : 'slurm.propagate_limits_except',
        v,
        'file',
        `${root.display(p)}: ${k}=${v}`,
      );
    return;
  }
}

export function collectAcceleratorFacts(root: HostRoot, facts: Facts): void {
  collectDevices(root, facts);
  collectDrivers(root, facts);
  collectCdi(root, facts);
  collectToolkitConfig(root, facts);
  collectGpuFiles(root, facts);
  collectEngineRuntimes(root, facts);
  collectSarusShifterGpu(root, facts);
  collectMemlock(root, facts);
  collectSlurmLimits(root, facts);
}
