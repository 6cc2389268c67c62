// Collects kernel facts: release, distribution or mainline, config, command line, file systems, LSMs, status lines.
import { gunzipSync } from 'node:zlib';
import type { HostRoot } from '../host/host-root.js';
import { addFact, type Facts } from '../facts/fact.js';
import { extractKernelConfig } from '../parse/kernel-config.js';
import { compareLooseVersion } from '../version/compare-loose.js';
import { classifyKernel } from '../version/classify-kernel.js';
import { fileIdentity, setDigest } from '../host/fact-cache.js';
import { readProblem, readValueFile } from './read-helpers.js';

/** The config symbols the rules and readiness checks read (kernel Kconfig names). */
export const CONFIG_KEYS = [
  'CONFIG_NAMESPACES',
  'CONFIG_USER_NS',
  'CONFIG_PID_NS',
  'CONFIG_NET_NS',
  'CONFIG_SECCOMP',
  'CONFIG_SECCOMP_FILTER',
  'CONFIG_OVERLAY_FS',
  'CONFIG_SQUASHFS',
  'CONFIG_SQUASHFS_XZ',
  'CONFIG_SQUASHFS_ZSTD',
  'CONFIG_SQUASHFS_LZO',
  'CONFIG_SQUASHFS_LZ4',
  'CONFIG_SQUASHFS_XATTR',
  'CONFIG_BLK_DEV_LOOP',
  'CONFIG_FUSE_FS',
  'CONFIG_EXT3_FS',
  'CONFIG_EXT4_FS',
  'CONFIG_SECURITY_SELINUX',
  'CONFIG_SECURITY_APPARMOR',
  'CONFIG_SECURITY_YAMA',
  'CONFIG_SECURITY_LANDLOCK',
  'CONFIG_CGROUPS',
  'CONFIG_BPF_SYSCALL',
  'CONFIG_BPF_UNPRIV_DEFAULT_OFF',
  'CONFIG_LSM',
  'CONFIG_USER_NS_UNPRIVILEGED',
  'CONFIG_CHECKPOINT_RESTORE',
] as const;

const MAX_CONFIG = 4 * 1024 * 1024;

function newestModulesRelease(root: HostRoot): { release: string; evidence: string } | null {
  const found: string[] = [];
  let where = '';
  for (const dir of ['/lib/modules', '/usr/lib/modules']) {
    const l = root.list(dir, 256);
    if (!l.ok) continue;
    for (const n of l.names) if (/^\d+\.\d+/.test(n) && !found.includes(n)) found.push(n);
    if (found.length > 0 && where === '') where = dir;
  }
  if (found.length === 0) {
    const b = root.list('/boot', 512);
    if (b.ok) for (const n of b.names) if (n.startsWith('vmlinuz-')) found.push(n.slice(8));
    where = '/boot/vmlinuz-*';
  }
  if (found.length === 0) return null;
  found.sort(compareLooseVersion);
  const release = found[found.length - 1]!;
  const more = found.length > 1 ? `; ${found.length} kernels installed, the newest is assumed to boot` : '';
  return { release, evidence: `node image without /proc: ${root.display(where)} holds ${release}${more}` };
}

const isPairs = (v: unknown): v is [string, string][] =>
  Array.isArray(v) &&
  v.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string');

/**
 * The wanted options of one kernel config file: parsed by `parse`, or taken from the fact cache while the file, the
 * running kernel and the options asked for are the same (inflating /proc/config.gz and scanning some 10,000 lines
 * was a millisecond or two of every check, issue 16). A config that does not parse is not kept.
 */
function configOf(
  root: HostRoot,
  p: string,
  release: string | null,
  parse: () => Map<string, string> | null,
): Map<string, string> | null {
  const st = root.liveStat(p);
  const key = st ? `${fileIdentity(st)} ${release ?? '?'} ${setDigest(CONFIG_KEYS)}` : null;
  const hit = key ? root.factCache.get(`kernel config ${p}`, key, isPairs) : undefined;
  if (hit) return new Map(hit);
  const config = parse();
  if (key && config) root.factCache.set(`kernel config ${p}`, key, [...config]);
  return config;
}

function readConfig(
  root: HostRoot,
  release: string | null,
): { config: Map<string, string> | null; source: string } | { problem: string } | null {
  const candidates = release
    ? [
        `/boot/config-${release}`,
        `/lib/modules/${release}/config`,
        `/usr/lib/modules/${release}/config`,
        `/lib/modules/${release}/build/.config`,
      ]
    : [];
  for (const p of candidates) {
    let problem: string | null = null;
    let missing = false;
    const config = configOf(root, p, release, () => {
      const r = root.readText(p, MAX_CONFIG);
      problem = readProblem(r, root, MAX_CONFIG);
      missing = !r.ok && r.missing;
      return problem === null ? extractKernelConfig((r as { text: string }).text, CONFIG_KEYS) : null;
    });
    if (problem === null && !missing) return { config, source: root.display(p) };
    if (problem !== null && !missing) return { problem };
  }
  return null;
}

export function collectKernelFacts(root: HostRoot, facts: Facts): void {
  const hasProc = root.isLive || root.exists('/proc/sys/kernel');
  addFact(
    facts,
    'host.has_proc',
    hasProc,
    'file',
    hasProc
      ? 'proc/sys/kernel is present'
      : `${root.display('/proc')} is absent: node-image sources are used`,
  );
  let release: string | null = null;
  const rel = readValueFile(root, '/proc/sys/kernel/osrelease');
  if (rel.ok && /^[\w.+~-]{1,100}$/.test(rel.value)) {
    release = rel.value;
    addFact(
      facts,
      'kernel.release',
      release,
      'file',
      `${root.display('/proc/sys/kernel/osrelease')}: ${release}`,
    );
  } else {
    const img = newestModulesRelease(root);
    if (img) {
      release = img.release;
      addFact(facts, 'kernel.release', release, 'file', img.evidence);
    } else if (!rel.ok && !rel.missing) addFact(facts, 'kernel.problem', rel.reason, 'file', rel.reason);
  }
  const banner = root.readText('/proc/version', 4096);
  const bannerText = banner.ok && !banner.binary ? banner.text.trim() : '';
  if (bannerText)
    addFact(facts, 'kernel.version_banner', bannerText.slice(0, 300), 'file', root.display('/proc/version'));
  if (release) {
    const c = classifyKernel(release, bannerText);
    addFact(facts, 'kernel.family', c.family, 'file', c.evidence);
    addFact(facts, 'kernel.distro_kernel', c.family !== 'mainline', 'file', c.evidence);
  }

  // Kernel configuration: /proc/config.gz (CONFIG_IKCONFIG_PROC) first, then the files distributions install.
  let config: Map<string, string> | null = null;
  let configSource = '';
  let gzProblem = false;
  const fromGz = configOf(root, '/proc/config.gz', release, () => {
    const gzr = root.readBytes('/proc/config.gz', 1024 * 1024);
    if (!gzr.ok || gzr.truncated) return null;
    try {
      return extractKernelConfig(
        gunzipSync(gzr.data, { maxOutputLength: MAX_CONFIG }).toString('utf8'),
        CONFIG_KEYS,
      );
    } catch {
      gzProblem = true;
      return null;
    }
  });
  if (fromGz || gzProblem) {
    config = fromGz;
    if (fromGz) configSource = root.display('/proc/config.gz');
    else {
      addFact(
        facts,
        'kernel.config.problem',
        'proc/config.gz is not valid gzip',
        'file',
        `${root.display('/proc/config.gz')}: not valid gzip or larger than 4 MiB`,
      );
    }
  }
  if (!config) {
    const c = readConfig(root, release);
    if (c && 'config' in c) {
      config = c.config;
      configSource = c.source;
    } else if (c && 'problem' in c) addFact(facts, 'kernel.config.problem', c.problem, 'file', c.problem);
  }
  addFact(
    facts,
    'kernel.config.present',
    config !== null,
    'file',
    config ? `read ${configSource}` : 'no kernel config found (/proc/config.gz, /boot/config-<release>)',
  );
  if (config) {
    for (const key of CONFIG_KEYS) {
      const v = config.get(key);
      // A symbol missing from a full config means its dependencies were off: effectively "n".
      addFact(
        facts,
        `kernel.config.${key}`,
        v ?? 'n',
        'file',
        `${configSource}: ${key}=${v ?? '(absent, so n)'}`,
      );
    }
  }

  collectCmdline(root, facts, hasProc);

  const fsr = root.readText('/proc/filesystems', 65536);
  if (fsr.ok && !fsr.binary) {
    const names = fsr.text
      .split('\n')
      .map((l) => l.split('\t').pop()!.trim())
      .filter((n) => /^[\w.-]+$/.test(n));
    addFact(
      facts,
      'kernel.filesystems',
      names,
      'file',
      `${root.display('/proc/filesystems')} lists ${names.length} file systems`,
    );
  }

  const lsm = readValueFile(root, '/sys/kernel/security/lsm');
  if (lsm.ok)
    addFact(
      facts,
      'lsm.active',
      lsm.value.split(',').filter(Boolean),
      'file',
      `${root.display('/sys/kernel/security/lsm')}: ${lsm.value}`,
    );

  const status = root.readText('/proc/self/status', 65536);
  if (status.ok && !status.binary) {
    for (const [line, id] of [
      ['NoNewPrivs', 'status.no_new_privs'],
      ['Seccomp', 'status.seccomp'],
      ['Seccomp_filters', 'status.seccomp_filters'],
      ['CapEff', 'status.cap_eff'],
    ] as const) {
      const m = new RegExp(`^${line}:\\s*(\\S+)`, 'm').exec(status.text);
      addFact(
        facts,
        id,
        m ? m[1]! : null,
        'file',
        `${root.display('/proc/self/status')}: ${m ? `${line}: ${m[1]}` : `no ${line} line`}`,
      );
    }
  }
  // Live, a missing /proc/self/setgroups proves the fix is missing; in a copied tree it may just not have been copied.
  const sg = root.stat('/proc/self/setgroups');
  if (root.isLive || sg.ok)
    addFact(
      facts,
      'proc.setgroups_file',
      sg.ok,
      'file',
      `${root.display('/proc/self/setgroups')} ${sg.ok ? 'exists' : 'is absent'}`,
    );
  const dfuse = root.stat('/dev/fuse');
  if (dfuse.ok) {
    const ww = (dfuse.perm & 0o006) === 0o006;
    addFact(
      facts,
      'dev.fuse_world_rw',
      ww,
      'file',
      `${root.display('/dev/fuse')} mode ${(dfuse.perm & 0o777).toString(8)}`,
    );
  }
}

function collectCmdline(root: HostRoot, facts: Facts, hasProc: boolean): void {
  if (hasProc) {
    const c = readValueFile(root, '/proc/cmdline', 8192);
    if (c.ok)
      addFact(
        facts,
        'kernel.cmdline',
        c.value,
        'file',
        `${root.display('/proc/cmdline')}: ${c.value.slice(0, 200)}`,
      );
    return;
  }
  // Node images: the command line the image will boot with, where the image carries it.
  const kc = readValueFile(root, '/etc/kernel/cmdline', 8192);
  if (kc.ok) {
    addFact(
      facts,
      'kernel.cmdline',
      kc.value,
      'file',
      `${root.display('/etc/kernel/cmdline')} (boot command line of the image)`,
    );
    return;
  }
  const env = root.readText('/boot/grub2/grubenv', 8192);
  const ko = env.ok ? /^kernelopts=(.*)$/m.exec(env.text) : null;
  if (ko) {
    addFact(
      facts,
      'kernel.cmdline',
      ko[1]!.trim(),
      'file',
      `${root.display('/boot/grub2/grubenv')}: kernelopts`,
    );
    return;
  }
  const g = root.readText('/etc/default/grub', 65536);
  if (g.ok && !g.binary) {
    const parts: string[] = [];
    for (const key of ['GRUB_CMDLINE_LINUX', 'GRUB_CMDLINE_LINUX_DEFAULT']) {
      const m = new RegExp(`^${key}=["']?(.*?)["']?\\s*$`, 'm').exec(g.text);
      if (m) parts.push(m[1]!);
    }
    addFact(
      facts,
      'kernel.cmdline',
      parts.join(' ').trim(),
      'file',
      `${root.display('/etc/default/grub')}: GRUB_CMDLINE_LINUX(_DEFAULT)`,
    );
  }
}
