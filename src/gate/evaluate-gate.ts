// Judges a report against the gate policy (pure): pass or fail, with reasons an operator reads in one line.
import { SEVERITIES, type Severity } from '../rules/rule.js';
import { asciiLine } from '../render/terminal-text.js';
import type { GatePolicy } from './gate-policy.js';
import type { GateInput } from '../schema/node-report.js';

/** The parts of a `ctrsafe.report/1` the gate reads, from the report's schema. */
export type { GateInput };

export interface GateVerdict {
  pass: boolean;
  /** Why the node fails, most important first. */
  failures: string[];
  /** Waivers applied or expired, unknowns tolerated: shown, never decisive. */
  notes: string[];
}

const atLeast = (sev: string, min: Severity) =>
  SEVERITIES.indexOf(sev as Severity) >= SEVERITIES.indexOf(min) && SEVERITIES.includes(sev as Severity);

/** The first reason a runtime gives, trimmed: the one that decided its readiness. */
const why = (reasons: string[]) => (reasons[0] ?? 'no reason recorded').slice(0, 120);

export function evaluateGate(report: GateInput, policy: GatePolicy, now: Date): GateVerdict {
  const today = now.toISOString().slice(0, 10);
  const failures: string[] = [];
  const notes: string[] = [];
  const waived = new Map<string, string>();
  for (const w of policy.waivers) {
    if (w.expires < today) notes.push(`waiver for ${w.id} expired on ${w.expires}: not applied`);
    else waived.set(w.id, w.reason);
  }
  const isWaived = (id: string) => {
    const r = waived.get(id);
    if (r !== undefined) notes.push(`${id} waived: ${r}`);
    return r !== undefined;
  };
  for (const id of policy.requireReady) {
    const rt = report.runtimes.find((r) => r.id === id);
    if (!rt) failures.push(`${id}: not in the report`);
    // The check judges a runtime that is not installed as a default install would be; a promise to users needs it.
    else if (rt.installed === false) failures.push(`${id} is not installed`);
    else if (rt.ready === 'no') failures.push(`${id} cannot run: ${why(rt.reasons)}`);
    else if (rt.ready !== 'yes') {
      const msg = `${id} readiness unknown: ${why(rt.reasons)}`;
      if (policy.unknownReady === 'fail') failures.push(msg);
      else notes.push(`${msg} (tolerated: unknown_ready: pass)`);
    }
  }
  const failed = report.findings
    .filter((f) => f.status === 'fail' && atLeast(f.severity, policy.failOn) && !isWaived(f.id))
    .sort((a, b) => SEVERITIES.indexOf(b.severity as Severity) - SEVERITIES.indexOf(a.severity as Severity));
  for (const f of failed) failures.push(`${f.id} failed (${f.severity}: ${f.title})`);
  if (policy.vulnerabilities) {
    const min = policy.vulnerabilities;
    const affected = report.vulnerabilities
      .filter((v) => v.status === 'affected' && atLeast(v.severity, min) && !isWaived(v.id))
      .sort(
        (a, b) => SEVERITIES.indexOf(b.severity as Severity) - SEVERITIES.indexOf(a.severity as Severity),
      );
    for (const v of affected) failures.push(`${v.id} affects ${v.package ?? 'this host'} (${v.severity})`);
  }
  return { pass: failures.length === 0, failures, notes };
}

/**
 * One line for NHC, Slurm's node Reason and the prolog log: the first reasons and how many more. Printable
 * ASCII only, bounded: a Reason is shown by sinfo -R and must not carry newlines or control characters.
 */
export function gateLine(v: GateVerdict, max = 200): string {
  if (v.pass) return 'ctrsafe: pass';
  const more = v.failures.length > 2 ? ` (+${v.failures.length - 2} more)` : '';
  const room = max - 'ctrsafe: '.length - more.length;
  let head = asciiLine(v.failures.slice(0, 2).join('; '), 10_000);
  if (head.length > room) head = `${head.slice(0, room - 3)}...`;
  return `ctrsafe: ${head}${more}`;
}
