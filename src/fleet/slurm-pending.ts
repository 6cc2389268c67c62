// Why Slurm holds a job that srun said is queued: squeue's reason, and whether it lifts while the cluster stays as is.
import { execFile } from 'node:child_process';

/**
 * squeue's reasons for a pending job that will not start while the cluster stays as it is (Slurm's job reason codes,
 * https://slurm.schedmd.com/job_reason_codes.html, and job_reason_string in slurm_protocol_defs.c): the partition is
 * down, inactive, or too small or too short for the job; a per-job maximum or minimum of the QOS or association is
 * passed; the account or QOS may not use the partition; the job is held; its constraints or dependency can never be
 * met; a node it needs is down. Aggregate limits (AssocGrp*, QOSGrp*, per-user and per-account maxima), Resources,
 * Priority, Licenses and BeginTime lift as other jobs end, and are waited for. ReqNodeNotAvail is not here: Slurm
 * gives it for a while during backfill on large clusters, and srun's own line for a node gone is acted on instead.
 */
const CANNOT_START: readonly RegExp[] = [
  /^Partition(Config|Down|Inactive|NodeLimit|TimeLimit)$/,
  /^(QOS|Assoc)Max\w+PerJobLimit$/,
  /^QOSMin\w+$/,
  /^(JobHeldAdmin|JobHeldUser|JobHoldMaxRequeue|BadConstraints|DependencyNeverSatisfied)$/,
  /^(InvalidAccount|InvalidQOS|AccountNotAllowed|QOSNotAllowed|NodeDown|FrontEndDown)$/,
];

/** Whether squeue's REASON (its first word, before any ", detail") means the job will not start as asked. */
export function cannotStart(reason: string): boolean {
  const code = reason.split(/[,\s]/)[0] ?? '';
  return CANNOT_START.some((r) => r.test(code));
}

/** What squeue says of JOB: its state and reason, or null when it cannot say within 10 s or says nonsense. */
export function jobPending(
  job: string,
  env: NodeJS.ProcessEnv,
): Promise<{ state: string; reason: string } | null> {
  return new Promise((resolve) =>
    execFile(
      'squeue',
      ['-h', '-j', job, '-o', '%T|%r'],
      { encoding: 'utf8', timeout: 10_000, env },
      (e, out) => {
        const m = e
          ? null
          : /^([A-Z_]{1,32})\|([A-Za-z][\w:,.()[\] -]{0,160})$/.exec(out.trim().split('\n')[0]!);
        resolve(m ? { state: m[1]!, reason: m[2]! } : null);
      },
    ),
  );
}

/** "squeue: job N pending: REASON", the words a failure quotes. */
export const pendingText = (job: string, reason: string) => `squeue: job ${job} pending: ${reason}`;

/** When the watch asks squeue: soon after srun says the job is queued, then seldom (squeue costs slurmctld an RPC). */
export const PENDING_FIRST_MS = 2_000;
export const PENDING_EVERY_MS = 15_000;

/**
 * Asks squeue about JOB while it is pending: calls CANNOT when its reason means it will not start as asked, and keeps
 * the last reason for a failure at the timeout. Stops when the job is no longer pending, or at stop().
 */
export function watchPending(
  job: string,
  env: NodeJS.ProcessEnv,
  cannot: (said: string) => void,
  timing = { firstMs: PENDING_FIRST_MS, everyMs: PENDING_EVERY_MS },
): { last: () => string; stop: () => void } {
  let last = '';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    const now = await jobPending(job, env);
    if (stopped) return;
    if (now !== null && now.state !== 'PENDING') {
      // Running (srun says so too) or ended: nothing to wait for any more.
      last = '';
      return;
    }
    if (now !== null) {
      last = pendingText(job, now.reason);
      if (cannotStart(now.reason)) {
        stopped = true;
        cannot(last);
        return;
      }
    }
    // Pending for a reason that lifts, or squeue cannot say just now: asked again later.
    timer = setTimeout(() => void tick(), timing.everyMs);
  };
  timer = setTimeout(() => void tick(), timing.firstMs);
  return {
    last: () => last,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
