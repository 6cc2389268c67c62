// A node's stored state as plain data, and the pure diffs the store applies: rows to write, counters to move, transitions.
import type { NodeView } from '../../schema/fleet-api.js';
import type { NodeAction } from '../plan/node-actions.js';
import { isVerdict, runtimeVerdict, type Verdict } from '../runtime-verdict.js';
import {
  acceleratorCounters,
  acceleratorTokens,
  acceleratorTransitions,
  acceleratorView,
  decodeAccelerators,
  encodeAccelerators,
  type Accelerators,
} from './accelerator-state.js';

/** A runtime on a node: its readiness and risk as reported, the dashboard's word for both, and why (when not ready). */
export interface RuntimeState {
  ready: string;
  risk: string;
  verdict: Verdict;
  /** The node's first reason for a verdict other than ready (its own text, shown as text), at most WHY_MAX. */
  why: string | null;
}

export const WHY_MAX = 160;

export interface NodeState {
  kernel: string | null;
  os: string | null;
  failCritical: number;
  failHigh: number;
  vulnsAffected: number;
  runtimes: Map<string, RuntimeState>;
  vulns: Map<string, { status: string; severity: string }>;
  /** Failing rules only: passes are the normal case and would multiply the rows by thirty. */
  fails: Map<string, { severity: string }>;
  actions: Map<string, { weight: number }>;
  /** Slurm partitions the node's own slurm.conf puts it in (fact slurm.partitions); empty when not said. */
  partitions: string[];
  /** GPU and RDMA readiness per runtime (issue 19); empty for reports made before it. */
  accelerators: Accelerators;
}

/** One fleet-wide counter: summary and plan read these instead of grouping 100,000 nodes on every request. */
export interface CountDelta {
  metric:
    | 'nodes'
    | 'ready'
    | 'verdict'
    | 'kernel'
    | 'vuln'
    | 'rule'
    | 'action'
    | 'critical_nodes'
    | 'vulnerable_nodes'
    | 'severity_nodes'
    | 'accel_present'
    | 'accel_ready';
  k1: string;
  k2: string;
  n: number;
  weight: number;
}

const SEP = '\u0000';

/** Adds a state's counter contributions to `into` with `sign` (+1 for the new state, -1 for the old one). */
function contribute(into: Map<string, CountDelta>, s: NodeState | null, sign: number) {
  if (!s) return;
  const add = (metric: CountDelta['metric'], k1: string, k2 = '', weight = 0) => {
    const k = metric + SEP + k1 + SEP + k2;
    const c = into.get(k);
    if (c) {
      c.n += sign;
      c.weight += sign * weight;
    } else into.set(k, { metric, k1, k2, n: sign, weight: sign * weight });
  };
  add('nodes', '');
  add('kernel', s.kernel ?? '');
  if (s.failCritical > 0) add('critical_nodes', '');
  if (s.vulnsAffected > 0) add('vulnerable_nodes', '');
  for (const [id, r] of s.runtimes) {
    add('ready', id, r.ready);
    add('verdict', id, r.verdict);
  }
  for (const [id, v] of s.vulns) add('vuln', id, v.status);
  // Nodes with at least one affected vulnerability of each severity (a node counts once per severity).
  for (const sev of new Set(
    [...s.vulns.values()].filter((v) => v.status === 'affected').map((v) => v.severity),
  ))
    add('severity_nodes', sev);
  for (const [id, f] of s.fails) add('rule', id, f.severity);
  for (const [key, a] of s.actions) add('action', key, '', a.weight);
  acceleratorCounters(s.accelerators, add);
}

/** Counter moves from old to new state (mergeDeltas puts a batch's in lock order). */
export function countDeltas(oldState: NodeState | null, newState: NodeState | null): CountDelta[] {
  const m = new Map<string, CountDelta>();
  contribute(m, oldState, -1);
  contribute(m, newState, 1);
  return [...m.values()].filter((d) => d.n !== 0 || d.weight !== 0);
}

/** Sums the moves of many reports per counter, dropping those that cancel out, in lock order. */
export function mergeDeltas(deltas: CountDelta[]): CountDelta[] {
  const m = new Map<string, CountDelta>();
  for (const d of deltas) {
    const k = d.metric + SEP + d.k1 + SEP + d.k2;
    const c = m.get(k);
    if (c) {
      c.n += d.n;
      c.weight += d.weight;
    } else m.set(k, { ...d });
  }
  return [...m.entries()]
    .filter(([, d]) => d.n !== 0 || d.weight !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, d]) => d);
}

/** Keys to delete and entries to write so that the stored rows of `oldMap` become `newMap`. */
export function mapDiff<V>(
  oldMap: Map<string, V>,
  newMap: Map<string, V>,
): { removed: string[]; written: [string, V][] } {
  // Flat records of strings and numbers: equal when every field is.
  const same = (x: V, y: V) => {
    for (const k in x)
      if ((x as Record<string, unknown>)[k] !== (y as Record<string, unknown>)[k]) return false;
    return Object.keys(x as object).length === Object.keys(y as object).length;
  };
  return {
    removed: [...oldMap.keys()].filter((k) => !newMap.has(k)),
    written: [...newMap].filter(([k, v]) => !oldMap.has(k) || !same(oldMap.get(k)!, v)),
  };
}

/** What changed on a node between two reports, as (subject, old, new); null means absent. */
export function transitionsBetween(o: NodeState, n: NodeState): [string, string | null, string | null][] {
  const out: [string, string | null, string | null][] = [];
  if (o.kernel !== n.kernel) out.push(['kernel', o.kernel, n.kernel]);
  if (o.os !== n.os) out.push(['os', o.os, n.os]);
  for (const id of new Set([...o.runtimes.keys(), ...n.runtimes.keys()])) {
    const a = o.runtimes.get(id);
    const b = n.runtimes.get(id);
    if (a?.ready !== b?.ready) out.push([`runtime.${id}.ready`, a?.ready ?? null, b?.ready ?? null]);
    if (a?.risk !== b?.risk) out.push([`runtime.${id}.risk`, a?.risk ?? null, b?.risk ?? null]);
  }
  for (const id of new Set([...o.vulns.keys(), ...n.vulns.keys()])) {
    const a = o.vulns.get(id)?.status ?? null;
    const b = n.vulns.get(id)?.status ?? null;
    if (a !== b) out.push([`vuln.${id}`, a, b]);
  }
  for (const id of new Set([...o.fails.keys(), ...n.fails.keys()]))
    if (o.fails.has(id) !== n.fails.has(id))
      out.push([
        `rule.${id}`,
        o.fails.has(id) ? 'fail' : 'not failing',
        n.fails.has(id) ? 'fail' : 'not failing',
      ]);
  out.push(...acceleratorTransitions(o.accelerators, n.accelerators));
  return out;
}

export function emptyState(): NodeState {
  return {
    kernel: null,
    os: null,
    failCritical: 0,
    failHigh: 0,
    vulnsAffected: 0,
    runtimes: new Map(),
    vulns: new Map(),
    fails: new Map(),
    actions: new Map(),
    partitions: [],
    accelerators: {},
  };
}

/** The per-node sets as stored in the node row (one column, one read per ingest instead of a table each). */
export function encodeState(s: NodeState): string {
  return JSON.stringify({
    r: Object.fromEntries([...s.runtimes].map(([k, v]) => [k, [v.ready, v.risk, v.verdict, v.why]])),
    v: Object.fromEntries([...s.vulns].map(([k, v]) => [k, [v.status, v.severity]])),
    f: Object.fromEntries([...s.fails].map(([k, v]) => [k, v.severity])),
    a: Object.fromEntries([...s.actions].map(([k, v]) => [k, v.weight])),
    p: s.partitions,
    x: encodeAccelerators(s.accelerators),
  });
}

export function decodeState(
  json: string,
  row: Pick<NodeState, 'kernel' | 'os' | 'failCritical' | 'failHigh' | 'vulnsAffected'>,
): NodeState {
  const j = JSON.parse(json) as {
    r?: Record<string, [string, string, string?, (string | null)?]>;
    v?: Record<string, [string, string]>;
    f?: Record<string, string>;
    a?: Record<string, number>;
    p?: string[];
    x?: unknown;
  };
  return {
    ...row,
    // States stored before the verdicts (migration 6 rebuilds them) hold [ready, risk] only.
    runtimes: new Map(
      Object.entries(j.r ?? {}).map(([k, [ready, risk, verdict, why]]) => [
        k,
        {
          ready,
          risk,
          verdict: verdict && isVerdict(verdict) ? verdict : runtimeVerdict({ ready, risk }),
          why: why ?? null,
        },
      ]),
    ),
    vulns: new Map(Object.entries(j.v ?? {}).map(([k, [status, severity]]) => [k, { status, severity }])),
    fails: new Map(Object.entries(j.f ?? {}).map(([k, severity]) => [k, { severity }])),
    actions: new Map(Object.entries(j.a ?? {}).map(([k, weight]) => [k, { weight }])),
    partitions: j.p ?? [],
    accelerators: decodeAccelerators(j.x),
  };
}

/**
 * The columns the node filters search ("|apptainer=yes|apptainer/degraded|podman=no|podman/blocked|"): a filter is one substring test per node row
 * (instr, strpos) on a narrow table; "%gpu" and "%gpu:podman=no" for the devices (accelerator-state.ts). Ids,
 * states and partition names never hold "|", "=", "/", "@", "%" or ":" (the
 * validator's and the partition reader's character sets).
 */
export function filterColumns(s: NodeState): { runtimes: string; vulns: string; fails: string } {
  const join = (xs: string[]) => (xs.length ? `|${xs.join('|')}|` : '');
  return {
    // The runtimes column also holds the partitions ("@batch"): one substring test filters by either.
    runtimes: join([
      ...[...s.runtimes].flatMap(([k, v]) => [`${k}=${v.ready}`, `${k}/${v.verdict}`]),
      ...s.partitions.map((p) => `@${p}`),
      ...acceleratorTokens(s.accelerators),
    ]),
    vulns: join([...s.vulns].map(([k, v]) => `${k}=${v.status}`)),
    fails: join([...s.fails.keys()]),
  };
}

/**
 * What the matrix and the partition grid read of a node, narrow (one short JSON column instead of the whole state):
 * its partitions and, per runtime, the verdict and why.
 */
export function viewColumn(s: NodeState): string {
  return JSON.stringify({
    p: s.partitions,
    r: Object.fromEntries([...s.runtimes].map(([k, v]) => [k, v.why ? [v.verdict, v.why] : [v.verdict]])),
    x: encodeAccelerators(s.accelerators),
  });
}

export function decodeView(json: string): NodeView {
  const j = JSON.parse(json || '{}') as { p?: string[]; r?: Record<string, [string, string?]>; x?: unknown };
  const runtimes: NodeView['runtimes'] = {};
  for (const [k, [verdict, why]] of Object.entries(j.r ?? {}))
    if (isVerdict(verdict)) runtimes[k] = { verdict, why: why ?? null };
  return {
    partitions: Array.isArray(j.p) ? j.p : [],
    runtimes,
    accelerators: acceleratorView(decodeAccelerators(j.x)),
  };
}

export function actionMap(actions: NodeAction[]): Map<string, { weight: number }> {
  const m = new Map<string, { weight: number }>();
  for (const a of actions) m.set(a.key, { weight: (m.get(a.key)?.weight ?? 0) + a.weight });
  return m;
}
