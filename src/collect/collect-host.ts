// Gathers every fact about one host: live probes and version commands run in parallel while files are read.
import * as fs from 'node:fs';
import type { HostRoot } from '../host/host-root.js';
import type { CommandRecord } from '../host/snapshot-manifest.js';
import { addFact, type Facts } from '../facts/fact.js';
import { interpretProbes } from '../probe/interpret-probes.js';
import type { ProbeResult } from '../probe/probe-result.js';
import { planProbes, probeResultFrom, usernsOnlyJob } from '../probe/probes.js';
import { runBatch, type BatchJob, type JobResult } from '../probe/run-batch.js';
import { resolveProbeUser } from '../probe/probe-user.js';
import type { ChildUser } from '../probe/run-child.js';
import {
  collectComponentFacts,
  componentVersionCommands,
  findComponentBinaries,
} from './collect-components.js';
import { collectHelperFacts, findHelpers, type FoundHelper } from './collect-helpers.js';
import { collectKernelPackageFacts } from './collect-kernel-package.js';
import { collectMountFacts } from './collect-mounts.js';
import {
  manifestPackages,
  readDpkgPackages,
  readRpmPackages,
  type PackageVersion,
} from './collect-packages.js';
import {
  collectRuntimeFacts,
  findRuntimeBinaries,
  packageOwns,
  versionCommands,
} from './collect-runtimes.js';
import { readValueFile } from './read-helpers.js';
import { COMPONENTS } from '../runtimes/components.js';
import { RUNTIMES } from '../runtimes/locations.js';
import { collectorsAt, FILE_COLLECTORS, runCollectors, type CollectorId, type Stage } from './collectors.js';

export interface CollectOptions {
  root: HostRoot;
  asUser?: string;
  probeTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** CVE ids the advisory database describes: package changelogs are searched for these only. */
  cves?: ReadonlySet<string>;
  /** Called as each step starts, so a watchdog can name the step that hung (a stat on a dead NFS mount). */
  onStep?: (step: string) => void;
  /** The live probes, when the caller started them earlier (startProbes) to overlap them with its own work. */
  probes?: StartedProbes;
}

/** The live probes, running: their plans, the user they run as, the helpers getcap reads, and the results to come. */
export interface StartedProbes {
  plans: ReturnType<typeof planProbes>;
  user: ChildUser;
  helpers: FoundHelper[];
  batch: Promise<Map<string, JobResult>>;
}

const noJobs = () => Promise.resolve(new Map<string, JobResult>());

export const GETCAP = ['/usr/sbin/getcap', '/sbin/getcap', '/usr/bin/getcap'];

/** getcap(8) on the helpers' real files, when there are helpers and a getcap. */
function getcapJob(helpers: FoundHelper[]): BatchJob[] {
  const getcap = GETCAP.find((p) => fs.existsSync(p));
  return getcap && helpers.length > 0
    ? [{ tag: 'getcap', argv: [getcap, ...helpers.map((h) => h.realPath)] }]
    : [];
}

/**
 * Starts the live probes (no_new_privs, user namespaces, FUSE) and getcap as the probe user: they need nothing read
 * first, and they are the longest wait of a check (one shell as another user, an unshare and two mounts), so `check`
 * starts them before it loads the advisory database. Each spawn from Node costs milliseconds of the main thread, so
 * on a node whose package database gives every runtime's version this is the only one. Null on a host tree (--root),
 * where the probes cannot run.
 */
export function startProbes(
  root: HostRoot,
  opts: { asUser?: string; probeTimeoutMs?: number },
): StartedProbes | null {
  if (!root.isLive) return null;
  const timeoutMs = opts.probeTimeoutMs ?? 3000;
  const user = resolveProbeUser(opts.asUser);
  const plans = planProbes();
  const helpers = findHelpers(root);
  const jobs: BatchJob[] = [
    ...plans.flatMap((p) => (p.argv ? [{ tag: `probe:${p.id}`, argv: p.argv }] : [])),
    ...getcapJob(helpers),
  ];
  return { plans, user, helpers, batch: jobs.length > 0 ? runBatch(jobs, { timeoutMs, user }) : noJobs() };
}

export interface Collected {
  facts: Facts;
  probes: Record<string, ProbeResult>;
  probeUser: string | null;
  commands: Record<string, CommandRecord>;
  caps: Record<string, string | null>;
  /** Versions from the live RPM database, kept for snapshots (a copied tree cannot be queried). */
  rpmPackages: Record<string, string>;
  /** The registered file collectors that ran (collectors.ts), in order. */
  collectors: CollectorId[];
}

const COMPONENT_BY_ID = Object.fromEntries(COMPONENTS.map((c) => [c.id, c]));

/**
 * The binaries whose version no package gives: a package-owned binary (not below /usr/local or /opt) of a
 * runtime with an installed package is not run. The shared `singularity` binary always is: its output tells
 * Singularity from SingularityCE and Apptainer's compatibility link.
 */
function withoutPackagedVersions<K extends string>(
  bins: Map<K, string>,
  where: Record<string, { packages: string[] }>,
  pkgs: Map<string, PackageVersion>,
): Map<K, string> {
  return new Map(
    [...bins].filter(
      ([id, bin]) =>
        id === 'singularity' ||
        id === 'singularity-ce' ||
        !packageOwns(bin) ||
        !where[id]?.packages.some((p) => pkgs.has(p)),
    ),
  );
}

/** getcap(8) prints "PATH CAPS" (or "PATH = CAPS") for each file that has capabilities and nothing for the others. */
function parseGetcap(helpers: FoundHelper[], job: JobResult | undefined): Map<string, string | null> {
  const out = new Map<string, string | null>();
  if (!job || job.timedOut || job.exitCode === null || job.exitCode >= 126) return out;
  const byReal = new Map(helpers.map((h) => [h.realPath, h.path]));
  for (const h of helpers) out.set(h.path, null);
  for (const line of job.output.split('\n')) {
    const m = /^(\S+)\s+(?:= )?(\S.*)$/.exec(line.trim());
    const host = m ? byReal.get(m[1]!) : undefined;
    if (host) out.set(host, m![2]!.trim());
  }
  return out;
}

export async function collectHost(opts: CollectOptions): Promise<Collected> {
  const { root } = opts;
  const step = opts.onStep ?? (() => undefined);
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

  // Start every child process first (one shell runs the probes and getcap, another the version commands that are
  // still needed, each job under its own timeout), then read files while they run.
  step('starting probes');
  const started = opts.probes ?? startProbes(root, opts);
  const user: ChildUser | null = started?.user ?? null;
  const plans = started?.plans ?? [];
  step('looking for runtimes and helpers');
  const binaries = findRuntimeBinaries(root);
  const helpers = started?.helpers ?? findHelpers(root);
  const componentBins = findComponentBinaries(root);
  // The package databases first: a runtime whose package says its version is not run for it (issue 12, 16).
  step('reading the package database');
  const osrelease = readValueFile(root, '/proc/sys/kernel/osrelease');
  const cves = opts.cves ?? new Set<string>();
  const dpkg = readDpkgPackages(root, cves);
  const rpm = readRpmPackages(root, osrelease.ok ? osrelease.value : null, cves);
  const pkgs = new Map<string, PackageVersion>([...dpkg.byName, ...manifestPackages(root), ...rpm.byName]);
  const commands = root.isLive
    ? [
        ...versionCommands(withoutPackagedVersions(binaries, RUNTIMES, pkgs)),
        ...componentVersionCommands(withoutPackagedVersions(componentBins, COMPONENT_BY_ID, pkgs)),
      ]
    : [];
  // A tree without a snapshot manifest has its getcap run here (as the caller); a live host's ran with the probes.
  const jobs: BatchJob[] = [
    ...commands.map((c) => ({ tag: `cmd:${c.key}`, argv: c.argv })),
    ...(!started && !root.manifest ? getcapJob(helpers) : []),
  ];
  step('starting version commands');
  const batchP = jobs.length > 0 ? runBatch(jobs, { timeoutMs, ...(user ? { user } : {}) }) : noJobs();

  const env = { env: opts.env ?? process.env, onStep: step };
  /** Every registered collector of the stage (collectors.ts): a new one runs in check without an edit here. */
  const stage = (s: Stage) => runCollectors(collectorsAt(s, FILE_COLLECTORS), root, facts, env);
  const ran = stage('host');
  step('reading mounts');
  const mounts = collectMountFacts(root, facts);
  ran.push(...stage('files'));
  for (const [id, problem] of [
    ['packages.dpkg_problem', dpkg.problem],
    ['packages.rpm_problem', rpm.problem],
  ] as const)
    if (problem) addFact(facts, id, problem, 'file', problem);
  collectKernelPackageFacts(root, facts, [...dpkg.kernels, ...rpm.kernels]);

  step('waiting for probes and version commands');
  const [probeBatch, commandBatch] = await Promise.all([
    started?.batch ?? new Map<string, JobResult>(),
    batchP,
  ]);
  const batch = new Map([...probeBatch, ...commandBatch]);
  const ns = batch.get('probe:userns');
  const nsOnly = usernsOnlyJob();
  if (
    ns &&
    ns.started &&
    user &&
    nsOnly &&
    ns.exitCode !== 0 &&
    !ns.timedOut &&
    !/^uid_map=/m.test(ns.output)
  ) {
    const only = (await runBatch([{ tag: 'userns-only', argv: nsOnly }], { timeoutMs, user })).get(
      'userns-only',
    );
    ns.output += `\nuserns_only=${only?.exitCode === 0 ? 'ok' : 'fail'}\n`;
  }
  const probes: Record<string, ProbeResult> = root.isLive
    ? Object.fromEntries(plans.map((p) => [p.id, probeResultFrom(p, user!.name, batch.get(`probe:${p.id}`))]))
    : (root.manifest?.probes ?? {});
  const commandRecords: Record<string, CommandRecord> = root.isLive
    ? Object.fromEntries(
        commands.map((c) => {
          const j = batch.get(`cmd:${c.key}`);
          return [
            c.key,
            {
              argv: c.argv,
              exitCode: j?.exitCode ?? null,
              stdout: (j?.output ?? '').slice(0, 4096),
              stderr: j?.timedOut ? 'timed out' : '',
            },
          ];
        }),
      )
    : (root.manifest?.commands ?? {});
  step('judging helpers and runtimes');
  const caps = parseGetcap(helpers, batch.get('getcap'));
  collectHelperFacts(root, facts, helpers, mounts, caps);
  const outputs = new Map(Object.entries(commandRecords));
  collectRuntimeFacts(root, facts, binaries, outputs, pkgs);
  ran.push(...stage('runtimes'));
  collectComponentFacts(root, facts, componentBins, outputs, pkgs);
  ran.push(...stage('devices'));
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
    commands: commandRecords,
    caps: Object.fromEntries(caps),
    rpmPackages: Object.fromEntries([...rpm.byName].map(([k, v]) => [k, v.version])),
    collectors: ran,
  };
}
