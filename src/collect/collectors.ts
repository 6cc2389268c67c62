// The registry of file collectors: what each reads the facts from, which facts it writes, whether it works on a
// copied tree (--root, snapshots) or needs the live host, and what it costs. `check` (collect-host.ts) and the
// run's readiness (run/host-readiness.ts) take their collectors from here by id, so a collector is declared once.
//
// The stages that depend on one another (package databases, then probes and version commands, then helpers and
// runtimes judged from their results) stay in collect-host.ts; they are not plain file readers.
import type { Facts } from '../facts/fact.js';
import type { HostRoot } from '../host/host-root.js';
import { collectAcceleratorFacts } from './collect-accelerators.js';
import { collectAppArmorFacts } from './collect-apparmor.js';
import { collectContainerFacts } from './collect-container.js';
import { collectEclFacts } from './collect-ecl.js';
import { collectKernelFacts } from './collect-kernel.js';
import { collectOsFacts } from './collect-os.js';
import { collectSubidFacts } from './collect-subid.js';
import { collectSysctlFacts } from './collect-sysctls.js';

export interface FileCollector {
  id: string;
  /** The step a watchdog names if it hangs (a stat on a dead NFS mount). */
  step: string;
  /** The fact ids it writes: a prefix ending in "." or a whole id. */
  provides: readonly string[];
  /**
   * "tree": works on a copied tree or a snapshot from its files alone (on the live host it may also read live
   * state, such as this process's limits); "live": only on the running host.
   */
  needs: 'tree' | 'live';
  /** What a run costs: "files" are a handful of small bounded reads (well under a millisecond each). */
  cost: 'files' | 'directory walk';
  /** Runs only when the facts gathered before it call for it. */
  when?: (facts: Facts) => boolean;
  collect: (root: HostRoot, facts: Facts, env: NodeJS.ProcessEnv) => void;
}

export const FILE_COLLECTORS = [
  {
    id: 'os',
    step: 'reading os-release',
    provides: ['os.', 'host.hostname'],
    needs: 'tree',
    cost: 'files',
    collect: (root, facts) => collectOsFacts(root, facts),
  },
  {
    id: 'kernel',
    step: 'reading kernel facts',
    provides: ['kernel.', 'host.has_proc', 'dev.fuse_world_rw', 'lsm.', 'proc.', 'status.'],
    needs: 'tree',
    cost: 'files',
    collect: (root, facts) => collectKernelFacts(root, facts),
  },
  {
    id: 'sysctls',
    step: 'reading sysctls',
    provides: ['sysctl.'],
    needs: 'tree',
    cost: 'files',
    collect: (root, facts) => collectSysctlFacts(root, facts),
  },
  {
    id: 'subid',
    step: 'reading subordinate ids',
    provides: ['subid.'],
    needs: 'tree',
    cost: 'files',
    collect: (root, facts) => collectSubidFacts(root, facts),
  },
  {
    id: 'container',
    step: 'looking for a container or chroot around ctrsafe',
    provides: ['container.'],
    needs: 'tree',
    cost: 'files',
    collect: (root, facts, env) => collectContainerFacts(root, facts, env),
  },
  {
    id: 'ecl',
    step: "reading the runtimes' execution control lists",
    provides: ['runtime.', 'ctrsafe.keyring.'],
    needs: 'tree',
    cost: 'files',
    collect: (root, facts) => collectEclFacts(root, facts),
  },
  {
    id: 'accelerators',
    step: 'reading GPU and RDMA devices',
    provides: [
      'gpu.',
      'rdma.',
      'device.',
      'cdi.',
      'memlock.',
      'nvidia_toolkit.',
      'slurm.',
      'enroot.',
      'apptainer.',
      'singularity.',
      'sarus.',
      'shifter.',
      'host.dev_listed',
    ],
    needs: 'tree',
    cost: 'directory walk',
    collect: (root, facts) => collectAcceleratorFacts(root, facts),
  },
  {
    id: 'apparmor',
    step: 'reading AppArmor profiles',
    provides: ['apparmor.', 'runtime.'],
    needs: 'tree',
    cost: 'directory walk',
    // Only where Ubuntu's restriction is on (kernel.apparmor_restrict_unprivileged_userns = 1, Ubuntu >= 23.10).
    when: (facts) => facts.get('sysctl.kernel.apparmor_restrict_unprivileged_userns')?.value === 1,
    collect: (root, facts) => collectAppArmorFacts(root, facts),
  },
] as const satisfies readonly FileCollector[];

export type CollectorId = (typeof FILE_COLLECTORS)[number]['id'];

/** Runs the named collectors in the order given (each when its condition holds); returns the ids that ran. */
export function runCollectors(
  ids: readonly CollectorId[],
  root: HostRoot,
  facts: Facts,
  opts: { env?: NodeJS.ProcessEnv; onStep?: (step: string) => void } = {},
): CollectorId[] {
  const ran: CollectorId[] = [];
  for (const id of ids) {
    const c: FileCollector = FILE_COLLECTORS.find((x) => x.id === id)!;
    if (c.when && !c.when(facts)) continue;
    opts.onStep?.(c.step);
    c.collect(root, facts, opts.env ?? process.env);
    ran.push(id);
  }
  return ran;
}
