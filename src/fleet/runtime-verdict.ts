// One word per runtime on a node for the fleet's pictures: ready, degraded, blocked, unknown or not installed.
// The words and what each means are declared with the fleet's answers (src/schema/report-values.ts).
import { RUNTIME_VERDICTS as VERDICTS, type RuntimeVerdictWord as Verdict } from '../schema/report-values.js';

export { VERDICTS, type Verdict };

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
