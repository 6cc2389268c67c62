// Why Slurm holds a job that srun said is queued: squeue's reason, and whether it lifts while the cluster stays as is.
import { execFile } from 'node:child_process';

/**
 * squeue's reasons for a pending job that will not start while the cluster stays as it is, by the names
 * job_reason_string gives them (Slurm's src/common/slurm_protocol_defs.c; https://slurm.schedmd.com/job_reason_codes.html):
 * the partition is down, inactive, too short or badly configured for the job, or over its memory limit; a per-job or
 * per-node maximum or a minimum of the QOS or association is passed; a usage cap in minutes (GrpTRESMins) is spent,
 * which lifts only as usage decays or is reset; the account or QOS may not use the partition; the job is held; its
 * constraints or dependency can never be met; its reservation is gone. Limits on what runs at once (AssocGrp*,
 * QOSGrp* without "Minutes", the *RunMinutes ones, per-user and per-account maxima), Resources, Priority, Licenses
 * and BeginTime lift as other jobs end, and are waited for.
 */
const CANNOT_START: readonly RegExp[] = [
  /^Partition(Config|Down|Inactive|TimeLimit)$/,
  /^(QOS|Assoc)Max\w+Per(Job|Node)(Limit)?$/,
  /^QOSMin\w+$/,
  /^(QOS|Assoc)Grp(?!\w*RunMinutes)\w*Minutes(Limit)?$/,
  /^(MaxMemPerLimit|ReservationDeleted|FrontEndDown)$/,
  /^(JobHeldAdmin|JobHeldUser|JobHoldMaxRequeue|BadConstraints|DependencyNeverSatisfied)$/,
  /^(InvalidAccount|InvalidQOS|AccountNotAllowed|QOSNotAllowed)$/,
];

/**
 * Reasons that name the job's nodes: one is down (NodeDown), or the nodes asked are more than the partition can give
 * now, which Slurm also says when asked nodes are down or drained (PartitionNodeLimit). The group goes out again
 * without the nodes sinfo then says cannot run a task. ReqNodeNotAvail is not here: Slurm gives it for a while during
 * backfill on large clusters, and srun's own line for a node gone is acted on instead.
 */
const NODE_GONE = /^(NodeDown|PartitionNodeLimit)$/;

/** What squeue's REASON (its code, before any ", detail") means for a job that waits. */
export function pendingVerdict(reason: string): 'cannot start' | 'node gone' | 'wait' {
  const code = reason.split(/[,\s]/)[0] ?? '';
  if (NODE_GONE.test(code)) return 'node gone';
  return CANNOT_START.some((r) => r.test(code)) ? 'cannot start' : 'wait';
}

/**
 * What squeue says of JOB: its state and reason (printable, 200 characters at most: a reason may carry a long
 * hostlist, or the job's state description), or null when it cannot say within 10 s.
 */
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
        const m = e ? null : /^([A-Z_]{1,32})\|(.+)$/.exec(out.trim().split('\n')[0]!);
        const reason = m?.[2]!.replace(/[^\x20-\x7e]/g, '?');
        resolve(
          m && reason
            ? { state: m[1]!, reason: reason.length > 200 ? `${reason.slice(0, 199)}…` : reason }
            : null,
        );
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
 * Asks squeue about JOB while it is pending: calls STOP with squeue's words when its reason means the job will not
 * start as asked (nodeGone when the reason names its nodes), and keeps the last reason for a failure at the timeout.
 * Once srun has said itself that Slurm refuses the job (SRUN_REFUSED), ReqNodeNotAvail and PartitionConfig end the
 * wait too, and squeue is asked every FIRST_MS: Slurm may not have set the reason yet ("None") when srun says so.
 * Ends when the job is no longer pending, or at stop(); askNow() asks at once.
 */
export function watchPending(
  job: string,
  env: NodeJS.ProcessEnv,
  stopFor: (said: string, nodeGone: boolean) => void,
  srunRefused: () => boolean,
  timing = { firstMs: PENDING_FIRST_MS, everyMs: PENDING_EVERY_MS },
): { last: () => string; stop: () => void; askNow: () => void } {
  let last = '';
  let stopped = false;
  let wake = () => {};
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      t.unref();
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  const verdictOf = (reason: string) => {
    const v = pendingVerdict(reason);
    if (v !== 'wait' || !srunRefused()) return v;
    if (/^ReqNodeNotAvail\b/.test(reason)) return 'node gone';
    return /^PartitionConfig\b/.test(reason) ? 'cannot start' : 'wait';
  };
  const watch = async () => {
    for (let wait = timing.firstMs; ; wait = srunRefused() ? timing.firstMs : timing.everyMs) {
      await pause(wait);
      if (stopped) return;
      const now = await jobPending(job, env);
      if (stopped) return;
      if (now !== null && now.state !== 'PENDING') {
        // Running (srun says so too) or ended: nothing to wait for any more.
        last = '';
        return;
      }
      // squeue cannot say just now: asked again later.
      if (now === null) continue;
      last = pendingText(job, now.reason);
      const verdict = verdictOf(now.reason);
      if (verdict !== 'wait') {
        stopped = true;
        stopFor(last, verdict === 'node gone');
        return;
      }
    }
  };
  void watch();
  return {
    last: () => last,
    stop() {
      stopped = true;
      wake();
    },
    askNow: () => wake(),
  };
}
