// One word per runtime on a node for the fleet's pictures: ready, degraded, blocked, unknown or not installed.

/**
 * Lowest first in the stacked bars. "ready": installed (or not said) and can run with at most medium risk;
 * "degraded": can run, but at high or critical risk; "blocked": cannot run; "unknown": ctrsafe could not decide
 * whether it can run or how risky it is (said as such, never folded into another word); "not-installed": the
 * node said the runtime is absent (its readiness is then only what a default install would be).
 */
export const VERDICTS = ['ready', 'degraded', 'blocked', 'unknown', 'not-installed'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const VERDICT_LABEL: Record<Verdict, string> = {
  ready: 'ready',
  degraded: 'degraded',
  blocked: 'blocked',
  unknown: 'unknown',
  'not-installed': 'not installed',
};

/** Reports from before the `installed` field (or hand-made ones) say nothing: judged as installed. */
export function runtimeVerdict(r: { installed?: boolean | null; ready: string; risk: string }): Verdict {
  if (r.installed === false) return 'not-installed';
  if (r.ready === 'no') return 'blocked';
  if (r.ready !== 'yes' || r.risk === 'unknown') return 'unknown';
  return r.risk === 'high' || r.risk === 'critical' ? 'degraded' : 'ready';
}

export const isVerdict = (v: string): v is Verdict => (VERDICTS as readonly string[]).includes(v);
