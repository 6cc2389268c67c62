// Gathers every fact about one host: live probes and version commands run in parallel while files are read.
import * as fs from 'node:fs';
import type { HostRoot } from '../host/host-root.js';
import type { CommandRecord } from '../host/snapshot-manifest.js';
import { addFact, type Facts } from '../facts/fact.js';
import { interpretProbes } from '../probe/interpret-probes.js';
import type { ProbeResult } from '../probe/probe-result.js';
import { runAllProbes } from '../probe/probes.js';
import { resolveProbeUser } from '../probe/probe-user.js';
import { runChild, type ChildUser } from '../probe/run-child.js';
import { collectAppArmorFacts } from './collect-apparmor.js';
import { collectContainerFacts } from './collect-container.js';
import { collectHelperFacts, findHelpers, type FoundHelper } from './collect-helpers.js';
import { collectKernelFacts } from './collect-kernel.js';
import { collectMountFacts } from './collect-mounts.js';
import { collectOsFacts } from './collect-os.js';
import {
  manifestPackages,
  readDpkgPackages,
  readRpmPackages,
  type PackageVersion,
} from './collect-packages.js';
import { collectRuntimeFacts, findRuntimeBinaries, versionCommands } from './collect-runtimes.js';
import { collectSubidFacts } from './collect-subid.js';
import { collectSysctlFacts } from './collect-sysctls.js';

export interface CollectOptions {
  root: HostRoot;
  asUser?: string;
  probeTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface Collected {
  facts: Facts;
  probes: Record<string, ProbeResult>;
  probeUser: string | null;
  commands: Record<string, CommandRecord>;
  caps: Record<string, string | null>;
  /** Versions from the live RPM database, kept for snapshots (a copied tree cannot be queried). */
  rpmPackages: Record<string, string>;
}

/** getcap(8) prints "PATH CAPS" for each file that has capabilities and nothing for the others. */
async function readCaps(helpers: FoundHelper[], timeoutMs: number): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  const getcap = ['/usr/sbin/getcap', '/sbin/getcap', '/usr/bin/getcap'].find((p) => fs.existsSync(p));
  if (!getcap || helpers.length === 0) return out;
  const r = await runChild([getcap, ...helpers.map((h) => h.realPath)], { timeoutMs });
  if (!r.started || r.timedOut) return out;
  const byReal = new Map(helpers.map((h) => [h.realPath, h.path]));
  for (const h of helpers) out.set(h.path, null);
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+)\s+(?:= )?(\S.*)$/.exec(line.trim());
    const host = m ? byReal.get(m[1]!) : undefined;
    if (host) out.set(host, m![2]!.trim());
  }
  return out;
}

export async function collectHost(opts: CollectOptions): Promise<Collected> {
  const { root } = opts;
  const timeoutMs = opts.probeTimeoutMs ?? 3000;
  const facts: Facts = new Map();
  addFact(
    facts,
    'host.source',
    root.isLive ? 'live' : 'root',
    'file',
    root.isLive ? 'the live host (/)' : `host tree ${root.dir}`,
  );
  if (root.manifestProblem)
    addFact(facts, 'host.manifest_problem', root.manifestProblem, 'file', root.manifestProblem);

  // Start everything that waits on child processes first, then read files while they run.
  let user: ChildUser | null = null;
  let probesP: Promise<Record<string, ProbeResult>>;
  if (root.isLive) {
    user = resolveProbeUser(opts.asUser);
    probesP = runAllProbes({ user, timeoutMs });
  } else probesP = Promise.resolve(root.manifest?.probes ?? {});
  const binaries = findRuntimeBinaries(root);
  const commandsP: Promise<Record<string, CommandRecord>> = root.isLive
    ? Promise.all(
        versionCommands(binaries).map(async (c) => {
          const r = await runChild(c.argv, { timeoutMs, ...(user ? { user } : {}) });
          return [
            c.key,
            {
              argv: c.argv,
              exitCode: r.exitCode,
              stdout: r.stdout.slice(0, 4096),
              stderr: (r.error ?? r.stderr).slice(0, 1024),
            },
          ] as const;
        }),
      ).then((e) => Object.fromEntries(e))
    : Promise.resolve(root.manifest?.commands ?? {});
  const helpers = findHelpers(root);
  const capsP = readCaps(helpers, timeoutMs);
  const rpmP = readRpmPackages(root, timeoutMs);

  collectOsFacts(root, facts);
  collectKernelFacts(root, facts);
  collectSysctlFacts(root, facts);
  const mounts = collectMountFacts(root, facts);
  collectSubidFacts(root, facts);
  collectContainerFacts(root, facts, opts.env ?? process.env);
  const pkgs = new Map<string, PackageVersion>([...readDpkgPackages(root), ...manifestPackages(root)]);

  const [probes, commands, caps, rpm] = await Promise.all([probesP, commandsP, capsP, rpmP]);
  for (const [k, v] of rpm) pkgs.set(k, v);
  collectHelperFacts(root, facts, helpers, mounts, caps);
  collectRuntimeFacts(root, facts, binaries, new Map(Object.entries(commands)), pkgs);
  if (facts.get('sysctl.kernel.apparmor_restrict_unprivileged_userns')?.value === 1)
    collectAppArmorFacts(root, facts);
  const origin = root.isLive
    ? ''
    : `, recorded in the snapshot${root.manifest?.taken_at ? ` of ${root.manifest.taken_at}` : ''}`;
  interpretProbes(probes, facts, origin);
  if (user) addFact(facts, 'probe.user', user.name, 'probe', `probes ran as ${user.name} (uid ${user.uid})`);
  else if (root.manifest?.probe_user)
    addFact(
      facts,
      'probe.user',
      root.manifest.probe_user,
      'probe',
      `snapshot probes ran as ${root.manifest.probe_user}`,
    );
  return {
    facts,
    probes,
    probeUser: user?.name ?? root.manifest?.probe_user ?? null,
    commands,
    caps: Object.fromEntries(caps),
    rpmPackages: Object.fromEntries([...rpm].map(([k, v]) => [k, v.version])),
  };
}
