// Where the gate's check runs: in the gate's own process (one Node start) when no read can block, else in a child
// under the watchdog (two starts), as the gate always did before issue 16.
import { defaultStoreDir } from '../advisories/advisory-store.js';
import { GETCAP } from '../collect/collect-host.js';
import { cacheDir } from '../host/fact-cache.js';
import { livePathGuard } from '../host/path-guard.js';
import { probeToolPaths } from '../probe/probes.js';
import { TIMEOUT } from '../probe/run-batch.js';
import type { CheckChildResult } from '../gate/run-check-child.js';
import type { GateInput } from '../schema/node-report.js';
import { describeError } from '../errors.js';
import type { CliIo } from './io.js';

export interface GateCheckOptions {
  root?: string;
  asUser?: string;
  probeTimeoutMs?: number;
  advisoriesDir?: string;
  dbDir?: string;
  timeoutMs: number;
  /** --watchdog: always the child, whatever the mount table says. */
  watchdog: boolean;
}

/** How the check ran, for the gate's JSON and -v: "in-process", or "watchdog" and why. */
export interface GateCheckMode {
  mode: 'in-process' | 'watchdog';
  why: string | null;
}

/**
 * The live paths the check reads directly, not through HostRoot (where the guard stands): the root directory (an
 * NFS root holds everything), the shell and timeout(1) the probes run in, the probe user's passwd entry, the
 * probe tools and getcap it looks for, the fact cache and the advisory store. Judged before the check starts.
 */
function fixedPaths(env: NodeJS.ProcessEnv): string[] {
  const cache = cacheDir(env);
  return [
    '/',
    '/bin/sh',
    TIMEOUT,
    '/etc/passwd',
    ...probeToolPaths(),
    ...GETCAP,
    ...(cache ? [`${cache.dir}/facts.json`] : []),
    defaultStoreDir(env),
  ];
}

/**
 * A stuck read blocks the thread that made it, and a timer of that process never fires: the reason the gate ran
 * every check in a child. On the live host the reads that can block are those that reach a network, FUSE or
 * automount file system (path-guard.ts), so the check runs here with those refused. If it asks for one (a
 * runtime on CVMFS, a root file system on NFS), or fails, it runs again in the child, which may read everything.
 * Its waits on child processes (probes, version commands) are bounded by their own timeouts, kept within the
 * gate's. A tree (--root) is read in the child always: it is often on a shared file system.
 */
export async function gateCheck(
  o: GateCheckOptions,
  io: CliIo,
): Promise<{ child: CheckChildResult<GateInput>; how: GateCheckMode }> {
  let why = o.watchdog ? '--watchdog' : o.root !== undefined ? '--root' : null;
  if (why === null) {
    const g = livePathGuard();
    const early = g.ok
      ? fixedPaths(io.env)
          .map(g.guard)
          .find((w) => w !== null)
      : undefined;
    if (!g.ok) why = g.reason;
    else if (early) why = `the check reads ${early}, on a file system where a read can hang`;
    else {
      const { runCheck } = await import('./check-command.js');
      const steps: string[] = [];
      try {
        const { report, root } = await runCheck({
          guard: g.guard,
          env: io.env,
          onStep: (s) => steps.push(s),
          probeTimeoutMs: Math.min(o.probeTimeoutMs ?? 3000, o.timeoutMs),
          ...(o.asUser !== undefined ? { asUser: o.asUser } : {}),
          ...(o.advisoriesDir !== undefined ? { advisoriesDir: o.advisoriesDir } : {}),
          ...(o.dbDir !== undefined ? { dbDir: o.dbDir } : {}),
        });
        const refused = root.refused();
        if (refused === null)
          return { child: { ok: true, report, steps }, how: { mode: 'in-process', why: null } };
        why = `the check reads ${refused}, on a file system where a read can hang`;
      } catch (e) {
        why = `in-process check failed: ${describeError(e).message}`;
      }
    }
  }
  const pass = (name: string, v: string | number | undefined) =>
    v !== undefined ? [`--${name}`, String(v)] : [];
  // Loaded only here: the child's report is validated against the schema (typebox), which the in-process check,
  // typed at build time, does not need; a gate that runs in-process starts faster without it.
  const [{ runCheckChild }, { GateInput }] = await Promise.all([
    import('../gate/run-check-child.js'),
    import('../schema/node-report.js'),
  ]);
  const child = await runCheckChild(
    [
      ...pass('root', o.root),
      ...pass('as-user', o.asUser),
      ...pass('probe-timeout', o.probeTimeoutMs),
      ...pass('advisories', o.advisoriesDir),
      ...pass('db', o.dbDir),
    ],
    { timeoutMs: o.timeoutMs, accept: GateInput, env: io.env, ...(io.self ? { argv0: io.self } : {}) },
  );
  return { child, how: { mode: 'watchdog', why } };
}
