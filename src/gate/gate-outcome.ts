// The gate's decision for a node (pure): the check's report judged against the policy, or the site's on_error
// answer when there is no report to judge; and whether Slurm is told.
import { asciiLine } from '../render/terminal-text.js';
import type { GateInput } from '../schema/node-report.js';
import { evaluateGate, gateLine, type GateVerdict } from './evaluate-gate.js';
import type { GatePolicy } from './gate-policy.js';
import type { CheckChildResult } from './run-check-child.js';

export interface GateOutcome {
  pass: boolean;
  line: string;
  verdict: GateVerdict | null;
  error: string | null;
  steps: string[];
}

export function gateOutcome(
  child: CheckChildResult<GateInput>,
  policy: GatePolicy,
  onError: 'pass' | 'fail',
  now: Date,
): GateOutcome {
  if (child.ok) {
    const verdict = evaluateGate(child.report, policy, now);
    return { pass: verdict.pass, line: gateLine(verdict), verdict, error: null, steps: child.steps };
  }
  // Our own failure never fails the node unless the site asked for it (on_error: fail).
  const err = asciiLine(child.error, 1000);
  return {
    pass: onError === 'pass',
    line:
      onError === 'pass'
        ? `ctrsafe: could not judge this node (${err}); passing it (on_error: pass)`.slice(0, 300)
        : `ctrsafe: could not judge this node: ${err}`.slice(0, 200),
    verdict: null,
    error: child.error,
    steps: child.steps,
  };
}

/** Slurm hears the verdict, except ctrsafe's own failure under on_error: pass (a node is never drained for it). */
export const tellsSlurm = (o: GateOutcome, onError: 'pass' | 'fail') => !(o.error && onError === 'pass');
