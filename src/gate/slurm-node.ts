// Drains and resumes this node through scontrol; the decision is a pure function of the node's state and the verdict.
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import { trustedProgram, untrustedPathProblem } from '../host/safe-write.js';

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

/** Where Slurm installs scontrol (Debian and RHEL packages, the source build's default prefix, /opt/slurm). */
export const SCONTROL_PATHS = [
  '/usr/bin/scontrol',
  '/usr/local/bin/scontrol',
  '/opt/slurm/bin/scontrol',
  '/usr/sbin/scontrol',
];

/**
 * scontrol from a fixed place only root can have written, never from the inherited PATH (a prolog's or a health
 * check's environment is not the site's choice of program); --scontrol names another, checked the same way.
 */
export function findScontrol(given?: string): { path: string } | { problem: string } {
  if (given) {
    const problem = untrustedPathProblem(given);
    return problem ? { problem: `--scontrol ${problem}` } : { path: given };
  }
  const found = trustedProgram(SCONTROL_PATHS);
  return found
    ? { path: found }
    : { problem: `no root-owned scontrol in ${SCONTROL_PATHS.join(', ')} (--scontrol PATH names it)` };
}

function scontrol(
  bin: string,
  args: string[],
  timeoutMs: number,
  env: NodeJS.ProcessEnv,
  onLine?: (line: string) => void,
): Promise<Run> {
  return new Promise((resolve) => {
    let out = '';
    let timedOut = false;
    let partial = '';
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    // One node's line is a few hundred bytes: anything past 64 KiB is not read.
    const keep = (c: string) => {
      if (out.length < 65536) out += c.slice(0, 65536 - out.length);
    };
    // A line reader sees every line (a cluster's node list is megabytes); only 64 KiB are kept as text.
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      keep(c);
      if (!onLine) return;
      const lines = (partial + c).split('\n');
      partial = lines.pop()!.slice(0, 1 << 20);
      for (const l of lines) onLine(l);
    });
    child.stderr.setEncoding('utf8').on('data', keep);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, out: e.message, timedOut: false });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (onLine && partial) onLine(partial);
      resolve({ code, out, timedOut });
    });
  });
}

/** Reads the node's state, applies the plan; slurmctld unreachable or slow means no action and a message. */
/** One node of `scontrol show node --oneliner`: its name, address and host name. */
function nodeFields(line: string): { name: string; addr: string | null; host: string | null } | null {
  const f = (k: string) => new RegExp(`(?:^|\\s)${k}=(\\S+)`).exec(line)?.[1] ?? null;
  const name = f('NodeName');
  return name ? { name, addr: f('NodeAddr'), host: f('NodeHostName') } : null;
}

/**
 * Which Slurm node this host is (pure): the one whose NodeHostName is this host's name (full or short), else the
 * one whose NodeAddr is one of its names or addresses; never a guess when none or several match.
 */
export function pickNodeName(
  lines: string[],
  me: { names: string[]; addresses: string[] },
): { name: string } | { problem: string } {
  const nodes = lines.map(nodeFields).filter((n) => n !== null);
  const byHost = nodes.filter((n) => n.host !== null && me.names.includes(n.host));
  if (byHost.length === 1) return { name: byHost[0]!.name };
  const mine = new Set([...me.names, ...me.addresses]);
  const byAddr = nodes.filter((n) => n.addr !== null && mine.has(n.addr));
  if (byHost.length === 0 && byAddr.length === 1) return { name: byAddr[0]!.name };
  const many = byHost.length > 1 ? byHost : byAddr;
  return {
    problem:
      many.length > 1
        ? `${many.length} Slurm nodes (${many
            .slice(0, 5)
            .map((n) => n.name)
            .join(', ')}) match this host's names and addresses`
        : `no Slurm node has this host's name or address (${[...me.names].join(', ')})`,
  };
}

/** This host's names (full and short) and its interfaces' addresses. */
export function hostIdentity(): { names: string[]; addresses: string[] } {
  const full = os.hostname();
  const addresses = Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal)
    .map((a) => a!.address);
  return { names: [...new Set([full, full.split('.')[0]!])], addresses };
}

/**
 * The Slurm node name: --node, else SLURMD_NODENAME (slurmd sets it for prologs and health checks), else the
 * node `scontrol show node` lists for this host's names or addresses. The short host name alone is never taken:
 * where Slurm's NodeName differs, it would drain another node.
 */
export async function slurmNodeName(
  given: string | undefined,
  opts: { timeoutMs: number; env: NodeJS.ProcessEnv; scontrol?: string },
): Promise<{ name: string } | { problem: string }> {
  if (given) return { name: given };
  if (opts.env.SLURMD_NODENAME) return { name: opts.env.SLURMD_NODENAME };
  const bin = findScontrol(opts.scontrol);
  if ('problem' in bin) return bin;
  const lines: string[] = [];
  const r = await scontrol(bin.path, ['show', 'node', '--oneliner'], opts.timeoutMs, opts.env, (l) => {
    if (lines.length < 100_000) lines.push(l.slice(0, 4096));
  });
  if (r.code !== 0)
    return {
      problem: r.timedOut
        ? `scontrol did not answer within ${Math.round(opts.timeoutMs / 1000)} s`
        : `scontrol show node failed: ${r.out.trim().split('\n')[0] ?? ''}`,
    };
  return pickNodeName(lines, hostIdentity());
}

export async function applySlurmVerdict(
  node: string,
  pass: boolean,
  line: string,
  opts: { timeoutMs: number; env: NodeJS.ProcessEnv; scontrol?: string },
): Promise<{ action: SlurmAction['kind'] | 'unreachable'; message: string }> {
  const bin = findScontrol(opts.scontrol);
  if ('problem' in bin)
    return { action: 'unreachable', message: `${bin.problem}: node ${node} left as it is` };
  // One deadline for all of it (read, update, read back): a prolog must finish within slurmd's MessageTimeout.
  const deadline = Date.now() + opts.timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  const show = await scontrol(bin.path, ['show', 'node', node, '--oneliner'], left(), opts.env);
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
  const r = await scontrol(bin.path, args, left(), opts.env);
  // The node's state afterwards is the fact; scontrol's exit code is not (it complains about a node that never
  // registered, UNKNOWN state, yet clears the drain).
  const after = r.timedOut
    ? null
    : await scontrol(bin.path, ['show', 'node', node, '--oneliner'], left(), opts.env);
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
