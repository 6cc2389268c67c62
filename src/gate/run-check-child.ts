// Runs `ctrsafe check` in a child process under a watchdog: the child may hang in the kernel (a stat on a dead NFS
// mount blocks the thread, and no timer in that process would fire), the parent never does.
import { spawn } from 'node:child_process';
import type { Static, TSchema } from 'typebox';
import { documentProblem } from '../schema/check-document.js';
import { LIMITS } from '../schema/host-report.js';

export type CheckChildResult<T> =
  { ok: true; report: T; steps: string[] } | { ok: false; error: string; steps: string[] };

/** How to start this same ctrsafe again: the bundle under node, or the standalone executable itself. */
export function selfArgv(): string[] {
  // In a single executable application (node:sea, Node >= 20.12) argv[1] is the first user argument, not a script.
  const sea = (
    process as { getBuiltinModule?: (id: string) => { isSea?: () => boolean } | undefined }
  ).getBuiltinModule?.('node:sea');
  const script = process.argv[1];
  const isSea = sea?.isSea ? sea.isSea() : !script || !/\.(c|m)?js$/.test(script);
  return isSea || !script ? [process.execPath] : [process.execPath, script];
}

/**
 * The check's report, once it fits `accept` (the whole report, or a reader's view of it: src/schema/): a field the
 * caller reads that is missing or malformed is an error, never read unchecked.
 */
export function runCheckChild<S extends TSchema>(
  args: string[],
  opts: { timeoutMs: number; accept: S; env?: NodeJS.ProcessEnv; argv0?: string[] },
): Promise<CheckChildResult<Static<S>>> {
  const [cmd, ...pre] = opts.argv0 ?? selfArgv();
  return new Promise((resolve) => {
    const steps: string[] = [];
    let out = '';
    let err = '';
    let done = false;
    const child = spawn(cmd!, [...pre, 'check', '--format', 'json', '--progress-fd', '3', ...args], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      // Its own process group: the watchdog kills the check and every probe it started, in one signal.
      detached: true,
    });
    const finish = (r: CheckChildResult<Static<S>>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      // A process stuck in the kernel cannot be reaped, and a grandchild may hold the pipes: let go of all of it,
      // so the gate prints its line and exits now rather than when the kernel lets go.
      for (const s of child.stdio)
        (s as (NodeJS.ReadableStream & { destroy?: () => void }) | null)?.destroy?.();
      child.unref();
      const last = steps[steps.length - 1] ?? 'starting';
      finish({
        ok: false,
        error: `watchdog: the check did not finish within ${Math.round(opts.timeoutMs / 1000)} s; it hung while ${last}`,
        steps,
      });
    }, opts.timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      if (out.length < LIMITS.bytes) out += c;
    });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => {
      if (err.length < 4096) err += c;
    });
    (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8');
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: string) => {
      for (const s of c.split('\n')) if (s && steps.length < 100) steps.push(s.slice(0, 200));
    });
    child.on('error', (e) =>
      finish({ ok: false, error: `the check could not be started: ${e.message}`, steps }),
    );
    child.on('close', (code) => {
      if (code !== 0)
        return finish({
          ok: false,
          error: `the check failed (exit ${code}): ${err.trim().split('\n').pop() ?? ''}`.slice(0, 300),
          steps,
        });
      let report: unknown;
      try {
        report = JSON.parse(out);
      } catch {
        return finish({ ok: false, error: 'the check printed no report', steps });
      }
      const bad = documentProblem(opts.accept, report);
      if (bad)
        return finish({
          ok: false,
          error: `the check's report does not fit ctrsafe.report/1: ${bad}`,
          steps,
        });
      finish({ ok: true, report: report as Static<S>, steps });
    });
  });
}
