// Why Slurm holds a job that srun said is queued: squeue's reason, and whether it lifts while the cluster stays as is.
import { execFile } from 'node:child_process';

/**
 * squeue's reasons for a pending job that will not start while the cluster stays as it is, by the names
 * job_reason_string gives them (Slurm's src/common/slurm_protocol_defs.c; https://slurm.schedmd.com/job_reason_codes.html):
 * the partition is down, inactive, too short or badly configured for the job, or over its memory limit; a per-job or
 * per-node maximum or a minimum of the QOS or association is passed; the account or QOS may not use the partition;
 * the job is held; its constraints or dependency can never be met; its reservation is gone. Limits on what runs at
 * once (AssocGrp*, QOSGrp*, per-user and per-account maxima), Resources, Priority, Licenses and BeginTime lift as
 * other jobs end, and are waited for; so are usage caps in minutes (Grp*Minutes): with AccountingStorageEnforce=safe
 * Slurm gives them while running jobs hold minutes they may not use (acct_policy.c).
 */
const CANNOT_START: readonly RegExp[] = [
  /^Partition(Config|Down|Inactive|TimeLimit)$/,
  /^(QOS|Assoc)Max\w+Per(Job|Node)(Limit)?$/,
  /^QOSMin\w+$/,
  /^(MaxMemPerLimit|ReservationDeleted|FrontEndDown)$/,
  /^(JobHeldAdmin|JobHeldUser|JobHoldMaxRequeue|BadConstraints|DependencyNeverSatisfied)$/,
  /^(InvalidAccount|InvalidQOS|AccountNotAllowed|QOSNotAllowed)$/,
];

/**
 * Reasons that name the job's nodes: one is down (NodeDown), or the nodes asked are more than the partition can give
 * now, which Slurm also says when asked nodes are down or drained (PartitionNodeLimit). The group goes out again
 * without the nodes sinfo then says cannot run a task. ReqNodeNotAvail is not here: Slurm gives it for a while during
 * backfill on large clusters, so the watch asks sinfo about the nodes it names (watchPending's nodeGoneNow).
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
  signal?: AbortSignal,
): Promise<{ state: string; reason: string } | null> {
  return new Promise((resolve) =>
    execFile(
      'squeue',
      ['-h', '-j', job, '-o', '%T|%r'],
      { encoding: 'utf8', timeout: 10_000, env, ...(signal ? { signal } : {}) },
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

/** How many answers after srun's refusal the watch waits for squeue to name the reason, asked every FIRST_MS. */
const REFUSAL_ASKS = 3;

/**
 * Asks squeue about JOB while it is pending: calls STOP with squeue's words when its reason means the job will not
 * start as asked (nodeGone when the reason names its nodes), and keeps the last reason for a failure at the timeout.
 * ReqNodeNotAvail ends the wait as a node gone when NODE_GONE_NOW (sinfo) says a node it names can no longer run a
 * task; backfill on a large cluster also gives it for a while, and that is waited through. Once srun has said
 * itself that Slurm refuses the job (SRUN_REFUSED: a partition limit, a node gone), squeue is asked at once
 * (askNow) and then every FIRST_MS for REFUSAL_ASKS answers: ReqNodeNotAvail ends the wait as a node gone, and if
 * squeue names no reason that does (it fails, says "None": Slurm may not have set it yet, or a reason that lifts),
 * srun's word alone (said '') ends it for a partition's limits, or for a node while sinfo says one of the job's
 * nodes is gone; else the job is watched as any other. Ends when the job is no longer pending, or at stop().
 */
export function watchPending(
  job: string,
  env: NodeJS.ProcessEnv,
  stopFor: (said: string, nodeGone: boolean) => void,
  srunRefused: () => 'node' | 'limit' | null,
  {
    nodeGoneNow = () => Promise.resolve(false),
    timing = { firstMs: PENDING_FIRST_MS, everyMs: PENDING_EVERY_MS },
  }: {
    nodeGoneNow?: (reason: string) => Promise<boolean>;
    timing?: { firstMs: number; everyMs: number };
  } = {},
): { last: () => string; stop: () => void; askNow: () => void } {
  let last = '';
  let stopped = false;
  let wake = () => {};
  // An squeue under way when the watch stops is ended, not waited for (it may take its 10 s on a slow slurmctld).
  const asking = new AbortController();
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      t.unref();
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  // srun's refusal counts for REFUSAL_ASKS answers; after that the job is watched as any other.
  let afterRefusal = 0;
  const refused = () => (afterRefusal < REFUSAL_ASKS ? srunRefused() : null);
  const verdictOf = async (reason: string) => {
    const v = pendingVerdict(reason);
    if (v !== 'wait' || !/^ReqNodeNotAvail\b/.test(reason)) return v;
    // After srun's refusal it is the node srun named; otherwise sinfo says whether a node it names is gone.
    return refused() === 'node' || (await nodeGoneNow(reason)) ? 'node gone' : 'wait';
  };
  const end = (said: string, nodeGone: boolean) => {
    stopped = true;
    stopFor(said, nodeGone);
  };
  const watch = async () => {
    for (let wait = timing.firstMs; ; wait = refused() ? timing.firstMs : timing.everyMs) {
      await pause(wait);
      if (stopped) return;
      const now = await jobPending(job, env, asking.signal);
      if (stopped) return;
      if (now !== null && now.state !== 'PENDING') {
        // Running (srun says so too) or ended: nothing to wait for any more.
        last = '';
        return;
      }
      const kind = refused();
      if (now !== null) {
        last = pendingText(job, now.reason);
        const verdict = await verdictOf(now.reason);
        if (stopped) return;
        if (verdict !== 'wait') return end(last, verdict === 'node gone');
      }
      if (kind === null || ++afterRefusal < REFUSAL_ASKS) continue;
      // srun refused, and squeue has not said why in REFUSAL_ASKS answers (failing, "None", a reason that lifts):
      // srun's words stand for a partition's limits, and for a node gone while sinfo says one of the job's is.
      if (kind === 'limit' || (await nodeGoneNow(''))) {
        if (!stopped) end('', kind === 'node');
        return;
      }
    }
  };
  void watch();
  return {
    last: () => last,
    stop() {
      stopped = true;
      asking.abort();
      wake();
    },
    askNow: () => wake(),
  };
}
