// Drains and resumes this node through scontrol; the decision is a pure function of the node's state and the verdict.
import { spawn } from 'node:child_process';

export interface SlurmNodeState {
  /** Slurm's state flags, e.g. ["IDLE", "DRAIN"]. */
  flags: string[];
  reason: string | null;
}

export type SlurmAction =
  { kind: 'none'; why: string } | { kind: 'drain'; reason: string } | { kind: 'resume'; why: string };

/** Every Reason ctrsafe sets starts with this; an operator's drain never does, so it is never undone. */
export const REASON_PREFIX = 'ctrsafe:';

export const drained = (s: SlurmNodeState) =>
  s.flags.some((f) => f === 'DRAIN' || f === 'DRAINED' || f === 'DRAINING');
/** Slurm appends "[user@time]" to a Reason when it shows it. */
const bareReason = (r: string | null) => (r ?? '').replace(/\s*\[[^\]]*@[^\]]*\]\s*$/, '');

/**
 * Fail: drain, unless someone else drained the node (their reason stays) or ctrsafe already did with the same
 * reason. Pass: resume only a node that ctrsafe itself drained. Error: do nothing (the caller decides on_error).
 */
export function planSlurmAction(state: SlurmNodeState, pass: boolean, line: string): SlurmAction {
  const ours = bareReason(state.reason).startsWith(REASON_PREFIX);
  if (pass) {
    if (drained(state) && ours) return { kind: 'resume', why: 'ctrsafe drained it and it passes now' };
    return { kind: 'none', why: drained(state) ? 'drained by someone else: left as it is' : 'not drained' };
  }
  if (drained(state) && !ours)
    return {
      kind: 'none',
      why: `already drained by someone else ("${bareReason(state.reason)}"): left as it is`,
    };
  if (drained(state) && bareReason(state.reason) === line)
    return { kind: 'none', why: 'already drained by ctrsafe' };
  return { kind: 'drain', reason: line };
}

/** Parses `scontrol show node NAME --oneliner`: State=IDLE+DRAIN ... Reason=text [user@time] ... */
export function parseScontrolNode(text: string): SlurmNodeState | null {
  const state = /(?:^|\s)State=(\S+)/.exec(text);
  if (!state) return null;
  // Reason runs to the "[user@time]" slurmctld appends; without one, to the next " Key=" (Comment= may follow).
  const after = /(?:^|\s)Reason=(.*)$/m.exec(text)?.[1];
  const stamped = after ? /^(.*?\[[^\]]*@[^\]]*\])/.exec(after) : null;
  const reason =
    after === undefined ? null : [null, stamped ? stamped[1]! : after.split(/\s+(?=[A-Z][A-Za-z]*=)/)[0]!];
  return {
    flags: state[1]!.split('+').map((f) => f.replace(/\*$/, '').toUpperCase()),
    reason: reason && reason[1] !== '(null)' ? reason[1]!.trim() : null,
  };
}

interface Run {
  code: number | null;
  out: string;
  timedOut: boolean;
}

function scontrol(args: string[], timeoutMs: number, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    let out = '';
    let timedOut = false;
    const child = spawn('scontrol', args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    // One node's line is a few hundred bytes: anything past 64 KiB is not read.
    const keep = (c: string) => {
      if (out.length < 65536) out += c.slice(0, 65536 - out.length);
    };
    child.stdout.setEncoding('utf8').on('data', keep);
    child.stderr.setEncoding('utf8').on('data', keep);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, out: e.message, timedOut: false });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, timedOut });
    });
  });
}

/** Reads the node's state, applies the plan; slurmctld unreachable or slow means no action and a message. */
export async function applySlurmVerdict(
  node: string,
  pass: boolean,
  line: string,
  opts: { timeoutMs: number; env: NodeJS.ProcessEnv },
): Promise<{ action: SlurmAction['kind'] | 'unreachable'; message: string }> {
  // One deadline for all of it (read, update, read back): a prolog must finish within slurmd's MessageTimeout.
  const deadline = Date.now() + opts.timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  const show = await scontrol(['show', 'node', node, '--oneliner'], left(), opts.env);
  const state = show.code === 0 ? parseScontrolNode(show.out) : null;
  if (!state)
    return {
      action: 'unreachable',
      message: show.timedOut
        ? `scontrol did not answer within ${Math.round(opts.timeoutMs / 1000)} s: node ${node} left as it is`
        : `scontrol show node ${node} failed: ${show.out.trim().split('\n')[0] ?? ''}: left as it is`,
    };
  const plan = planSlurmAction(state, pass, line);
  if (plan.kind === 'none') return { action: 'none', message: `slurm: ${plan.why}` };
  const args =
    plan.kind === 'drain'
      ? ['update', `NodeName=${node}`, 'State=DRAIN', `Reason=${plan.reason}`]
      : // UNDRAIN clears only the drain ctrsafe set; a node DOWN for another reason stays DOWN (scontrol(1)).
        ['update', `NodeName=${node}`, 'State=UNDRAIN'];
  const r = await scontrol(args, left(), opts.env);
  // The node's state afterwards is the fact; scontrol's exit code is not (it complains about a node that never
  // registered, UNKNOWN state, yet clears the drain).
  const after = r.timedOut ? null : await scontrol(['show', 'node', node, '--oneliner'], left(), opts.env);
  const now = after && after.code === 0 ? parseScontrolNode(after.out) : null;
  const done =
    now && (plan.kind === 'drain' ? drained(now) && bareReason(now.reason) === plan.reason : !drained(now));
  if (!done)
    return {
      action: 'unreachable',
      message: `scontrol update failed${r.timedOut ? ' (timed out)' : ''}: ${r.out.trim().split('\n')[0] ?? ''}`,
    };
  return {
    action: plan.kind,
    message: plan.kind === 'drain' ? `slurm: drained ${node}` : `slurm: resumed ${node} (${plan.why})`,
  };
}
