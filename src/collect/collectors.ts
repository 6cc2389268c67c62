// The registry of file collectors: what each reads the facts from, which facts it writes, whether it works on a
// copied tree (--root, snapshots) or needs the live host, what it costs and at which stage of a check it runs.
// Nothing lists collectors elsewhere: `check` (collect-host.ts, and with it `snapshot` and the gate's check) runs
// every collector of a stage, the run's readiness (run/host-readiness.ts) every one that provides a fact it reads.
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

/**
 * Where in a check a collector runs, in this order: "host" first (os-release, the kernel, sysctls: what the rest
 * is judged by), "files" while the probes run, "runtimes" once the runtimes are found, "devices" last (GPU and RDMA
 * readiness reads the runtimes' facts; AppArmor's condition reads a sysctl).
 */
export const STAGES = ['host', 'files', 'runtimes', 'devices'] as const;
export type Stage = (typeof STAGES)[number];

export interface FileCollector {
  id: string;
  stage: Stage;
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
    stage: 'host',
    step: 'reading os-release',
    provides: ['os.', 'host.hostname'],
    needs: 'tree',
    cost: 'files',
    collect: (root, facts) => collectOsFacts(root, facts),
  },
  {
    id: 'kernel',
    stage: 'host',
    step: 'reading kernel facts',
    provides: ['kernel.', 'host.has_proc', 'dev.fuse_world_rw', 'lsm.', 'proc.', 'status.'],
    needs: 'tree',
    cost: 'files',
    collect: (root, facts) => collectKernelFacts(root, facts),
  },
  {
    id: 'sysctls',
    stage: 'host',
    step: 'reading sysctls',
    provides: ['sysctl.'],
    needs: 'tree',
    cost: 'files',
    collect: (root, facts) => collectSysctlFacts(root, facts),
  },
  {
    id: 'subid',
    stage: 'files',
    step: 'reading subordinate ids',
    provides: ['subid.'],
    needs: 'tree',
    cost: 'files',
    collect: (root, facts) => collectSubidFacts(root, facts),
  },
  {
    id: 'container',
    stage: 'files',
    step: 'looking for a container or chroot around ctrsafe',
    provides: ['container.'],
    needs: 'tree',
    cost: 'files',
    collect: (root, facts, env) => collectContainerFacts(root, facts, env),
  },
  {
    id: 'ecl',
    stage: 'runtimes',
    step: "reading the runtimes' execution control lists",
    provides: ['runtime.', 'ctrsafe.keyring.'],
    needs: 'tree',
    cost: 'files',
    collect: (root, facts) => collectEclFacts(root, facts),
  },
  {
    id: 'accelerators',
    stage: 'devices',
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
    stage: 'devices',
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

/** The collectors of one stage of a check, in the registry's order. */
export function collectorsAt<C extends FileCollector>(stage: Stage, registry: readonly C[]): C['id'][] {
  return registry.filter((c) => c.stage === stage).map((c) => c.id);
}

/** Does a fact id or prefix ("kernel." or "kernel.release") one collector provides meet one a reader reads? */
const meets = (provided: string, read: string) =>
  provided === read ||
  (provided.endsWith('.') && read.startsWith(provided)) ||
  (read.endsWith('.') && provided.startsWith(read));

/**
 * The collectors a reader needs, in the registry's order (which is the order their conditions need): every one
 * that provides a fact it reads; on a tree (`live` false) those that need the live host are left out.
 */
export function collectorsReading<C extends FileCollector>(
  reads: readonly string[],
  registry: readonly C[],
  live: boolean,
): C['id'][] {
  return registry
    .filter((c) => (live || c.needs === 'tree') && c.provides.some((p) => reads.some((r) => meets(p, r))))
    .map((c) => c.id);
}

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
