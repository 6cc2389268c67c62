// A node's GPU and RDMA readiness as the fleet keeps it (issue 19): whether the device is present and, per runtime,
// the verdict and why, from the report's `accelerators` section; pure.
import { RUNTIME_IDS } from '../../schema/report-values.js';
import type { Verdict } from '../runtime-verdict.js';
import type { FleetReport } from './server-facts.js';

export const ACCELERATOR_KINDS = ['gpu', 'rdma'] as const;
export type AcceleratorKind = (typeof ACCELERATOR_KINDS)[number];
export const isAcceleratorKind = (k: string): k is AcceleratorKind =>
  (ACCELERATOR_KINDS as readonly string[]).includes(k);

/** A runtime's readiness for one device: the report's yes/no/unknown, the dashboard's word for it, and why. */
export interface AcceleratorRuntime {
  ready: 'yes' | 'no' | 'unknown';
  verdict: Extract<Verdict, 'ready' | 'blocked' | 'unknown'>;
  why: string | null;
}

export interface AcceleratorState {
  present: 'yes' | 'no' | 'unknown';
  runtimes: Map<string, AcceleratorRuntime>;
}

/** Per kind; a kind is absent when the report has no `accelerators` section (made before issue 19). */
export type Accelerators = Partial<Record<AcceleratorKind, AcceleratorState>>;

const TRI = ['yes', 'no', 'unknown'];
const tri = (v: unknown): 'yes' | 'no' | 'unknown' =>
  typeof v === 'string' && TRI.includes(v) ? (v as 'yes' | 'no' | 'unknown') : 'unknown';
const verdictOf = (ready: AcceleratorRuntime['ready']): AcceleratorRuntime['verdict'] =>
  ready === 'yes' ? 'ready' : ready === 'no' ? 'blocked' : 'unknown';

/**
 * From the report's section. The assessor puts the reason that decided a verdict other than yes first
 * (assess-accelerators.ts lower), so that one is kept, cut to whyMax. Runtime ids are ctrsafe's own (they become
 * filter substrings, counter keys and metric labels); anything else a node writes there is dropped.
 */
export function acceleratorsOfReport(r: FleetReport, whyMax: number): Accelerators {
  const out: Accelerators = {};
  const section = r.accelerators;
  if (!section) return out;
  for (const kind of ACCELERATOR_KINDS) {
    const s = section[kind];
    if (!s) continue;
    const runtimes = new Map<string, AcceleratorRuntime>();
    for (const v of s.runtimes.slice(0, RUNTIME_IDS.length * 2)) {
      if (!(RUNTIME_IDS as readonly string[]).includes(v.runtime) || runtimes.has(v.runtime)) continue;
      const ready = tri(v.ready);
      const first = v.reasons.find((x) => x !== '');
      runtimes.set(v.runtime, {
        ready,
        verdict: verdictOf(ready),
        why: ready === 'yes' || !first ? null : first.slice(0, whyMax),
      });
    }
    out[kind] = { present: tri(s.present), runtimes };
  }
  return out;
}

/** As stored in the state and view columns: {gpu: [present, {runtime: [ready, why?]}]}. */
export type EncodedAccelerators = Partial<
  Record<AcceleratorKind, [string, Record<string, [string, string?]>]>
>;

export function encodeAccelerators(a: Accelerators): EncodedAccelerators {
  const out: EncodedAccelerators = {};
  for (const kind of ACCELERATOR_KINDS) {
    const s = a[kind];
    if (s)
      out[kind] = [
        s.present,
        Object.fromEntries([...s.runtimes].map(([k, v]) => [k, v.why ? [v.ready, v.why] : [v.ready]])),
      ];
  }
  return out;
}

export function decodeAccelerators(j: unknown): Accelerators {
  const out: Accelerators = {};
  if (typeof j !== 'object' || j === null) return out;
  for (const kind of ACCELERATOR_KINDS) {
    const e = (j as EncodedAccelerators)[kind];
    if (!Array.isArray(e)) continue;
    const runtimes = new Map<string, AcceleratorRuntime>();
    for (const [k, [ready, why]] of Object.entries(e[1] ?? {})) {
      const t = tri(ready);
      runtimes.set(k, { ready: t, verdict: verdictOf(t), why: why ?? null });
    }
    out[kind] = { present: tri(e[0]), runtimes };
  }
  return out;
}

/** The filter column's tokens: "%gpu" on nodes with a GPU, "%gpu:podman=no" per runtime (no "|" in any part). */
export function acceleratorTokens(a: Accelerators): string[] {
  const out: string[] = [];
  for (const kind of ACCELERATOR_KINDS) {
    const s = a[kind];
    if (!s) continue;
    if (s.present === 'yes') out.push(`%${kind}`);
    for (const [rt, v] of s.runtimes) out.push(`%${kind}:${rt}=${v.ready}`);
  }
  return out;
}

/** Counter keys: ('accel_present', kind, present) and ('accel_ready', "kind:runtime", ready). */
export function acceleratorCounters(
  a: Accelerators,
  add: (metric: 'accel_present' | 'accel_ready', k1: string, k2: string) => void,
): void {
  for (const kind of ACCELERATOR_KINDS) {
    const s = a[kind];
    if (!s) continue;
    add('accel_present', kind, s.present);
    for (const [rt, v] of s.runtimes) add('accel_ready', `${kind}:${rt}`, v.ready);
  }
}

/** What changed: ("gpu.present", old, new) and ("gpu.podman.ready", old, new). */
export function acceleratorTransitions(
  o: Accelerators,
  n: Accelerators,
): [string, string | null, string | null][] {
  const out: [string, string | null, string | null][] = [];
  for (const kind of ACCELERATOR_KINDS) {
    const a = o[kind];
    const b = n[kind];
    // A report from before issue 19 says nothing about the devices: that is not a change on the node.
    if (!a || !b) continue;
    if (a?.present !== b?.present) out.push([`${kind}.present`, a?.present ?? null, b?.present ?? null]);
    for (const rt of new Set([...(a?.runtimes.keys() ?? []), ...(b?.runtimes.keys() ?? [])])) {
      const x = a?.runtimes.get(rt)?.ready ?? null;
      const y = b?.runtimes.get(rt)?.ready ?? null;
      if (x !== y) out.push([`${kind}.${rt}.ready`, x, y]);
    }
  }
  return out;
}

/** The view's form (the matrix page reads it as JSON): per kind, presence and each runtime's verdict and why. */
export type AcceleratorView = Partial<
  Record<
    AcceleratorKind,
    { present: string; runtimes: Record<string, { verdict: Verdict; why: string | null }> }
  >
>;

export function acceleratorView(a: Accelerators): AcceleratorView {
  const out: AcceleratorView = {};
  for (const kind of ACCELERATOR_KINDS) {
    const s = a[kind];
    if (s)
      out[kind] = {
        present: s.present,
        runtimes: Object.fromEntries(
          [...s.runtimes].map(([k, v]) => [k, { verdict: v.verdict, why: v.why }]),
        ),
      };
  }
  return out;
}
