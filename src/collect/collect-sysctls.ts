// Collects the sysctls that decide who may create namespaces and reach risky kernel code.
import type { HostRoot } from '../host/host-root.js';
import { addFact, type Facts } from '../facts/fact.js';
import { parseSysctlConf, SYSCTL_DIRS, type SysctlSetting } from '../parse/sysctl-conf.js';
import { asNumberOrString, readValueFile } from './read-helpers.js';
import type { KernelFamily } from '../version/classify-kernel.js';
import { sysctlDefault } from '../facts/sysctl-defaults.js';
import { kernelBaseVersion } from '../version/compare-loose.js';

export const SYSCTLS = [
  'user.max_user_namespaces', // namespaces(7): 0 disables user namespaces for everyone
  'user.max_mnt_namespaces',
  'user.max_net_namespaces',
  'kernel.unprivileged_userns_clone', // Debian/Arch out-of-tree patch
  'kernel.apparmor_restrict_unprivileged_userns', // Ubuntu >= 23.10
  'kernel.apparmor_restrict_unprivileged_unconfined',
  'kernel.unprivileged_bpf_disabled', // Documentation/admin-guide/sysctl/kernel.rst
  'kernel.yama.ptrace_scope', // Documentation/admin-guide/LSM/Yama.rst
  'fs.protected_symlinks',
  'fs.protected_hardlinks',
] as const;

export function collectSysctlFacts(root: HostRoot, facts: Facts): void {
  const hasProc = facts.get('host.has_proc')?.value === true;
  if (hasProc) {
    for (const name of SYSCTLS) {
      const p = '/proc/sys/' + name.replace(/\./g, '/');
      const r = readValueFile(root, p, 4096);
      if (r.ok)
        addFact(
          facts,
          `sysctl.${name}`,
          asNumberOrString(r.value),
          'file',
          `${root.display(p)}: ${r.value.slice(0, 60)}`,
        );
      else if (r.missing)
        addFact(
          facts,
          `sysctl.${name}`,
          null,
          'file',
          `${root.display(p)} does not exist: this kernel has no such setting`,
        );
      else addFact(facts, `sysctl.${name}.problem`, r.reason, 'file', r.reason);
    }
    return;
  }
  // Node image: what the image will apply at boot. A key that no file sets keeps the kernel's default,
  // which ctrsafe does not know from files: such keys stay absent (unknown).
  const settings = new Map<string, SysctlSetting>();
  const byName = new Map<string, string>();
  for (const dir of SYSCTL_DIRS) {
    const l = root.list(dir, 1024);
    if (!l.ok) continue;
    for (const n of l.names) if (n.endsWith('.conf') && !byName.has(n)) byName.set(n, `${dir}/${n}`);
  }
  const files = [...byName.keys()].sort().map((n) => byName.get(n)!);
  files.push('/etc/sysctl.conf');
  for (const f of files) {
    const r = root.readText(f, 256 * 1024);
    if (r.ok && !r.binary && !r.truncated) parseSysctlConf(r.text, f, settings);
  }
  const release = facts.get('kernel.release')?.value;
  const family = facts.get('kernel.family')?.value as KernelFamily | undefined;
  for (const name of SYSCTLS) {
    const s = settings.get(name);
    if (s) {
      addFact(
        facts,
        `sysctl.${name}`,
        asNumberOrString(s.value),
        'file',
        `node image sets ${name}=${s.value} in ${root.display(s.file)}`,
      );
      continue;
    }
    // Unset: the kernel's own default applies, known only from the kernel family and version.
    if (typeof release !== 'string' || !family) continue;
    const d = sysctlDefault(name, family, release, kernelBaseVersion(release));
    if (d)
      addFact(facts, `sysctl.${name}`, d.value, 'version', `node image leaves ${name} unset; ${d.source}`);
  }
}
