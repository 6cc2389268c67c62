// Judges one runtime (pure): ready yes/no/unknown with reasons, and its risk from the failed findings that touch it.
import type { Facts } from '../facts/fact.js';
import { evaluateCondition } from '../rules/evaluate-condition.js';
import type { Rule, Severity } from '../rules/rule.js';
import { RUNTIMES } from '../runtimes/locations.js';
import { NEEDS } from '../runtimes/requirements.js';
import { compareLooseVersion } from '../version/compare-loose.js';
import { COMPONENTS } from '../runtimes/components.js';
import type { Vulnerability } from './build-vulnerabilities.js';
import type { Risk, RuntimeVerdict } from '../schema/host-report.js';
import type { Finding } from './evaluate-rules.js';
import type { RuntimeMode } from './runtime-modes.js';

export type { Risk, RuntimeVerdict };
const RISK_ORDER: Risk[] = ['none', 'low', 'medium', 'high', 'critical'];

const maxRisk = (a: Risk, b: Risk): Risk => (RISK_ORDER.indexOf(a) >= RISK_ORDER.indexOf(b) ? a : b);
const asRisk = (s: Severity): Risk => (s === 'info' ? 'none' : s);

/** Words for facts a reason may say are missing. */
function describeMissing(id: string): string {
  const aa = /^runtime\.(.+)\.apparmor_userns$/.exec(id);
  if (aa) return `whether an AppArmor profile grants "userns" to ${aa[1]} (its package may ship one)`;
  if (id.startsWith('feature.')) return `${id.slice(8)} is unknown: no probe, and the files do not say`;
  return `${id} is not known`;
}

function evidence(facts: Facts, ids: string[]): string {
  return [...new Set(ids.map((i) => facts.get(i)?.evidence).filter(Boolean))].join('; ');
}

/** Whether a known flaw bears on offering this runtime: its own, its components', or the kernel's. */
function vulnerabilityTouches(v: Vulnerability, rm: RuntimeMode, advisoryNeedsUserns: boolean): boolean {
  if (v.target === rm.id) return true;
  if (COMPONENTS.some((c) => c.id === v.target && c.usedBy.includes(rm.id))) return true;
  // A kernel flaw reached through user namespaces weighs on the runtimes that need them enabled.
  if (v.target === 'kernel') return !advisoryNeedsUserns || rm.judgedMode === 'unprivileged';
  return false;
}

export function assessRuntime(
  rm: RuntimeMode,
  facts: Facts,
  findings: Finding[],
  rules: readonly Rule[],
  vulns: Vulnerability[] = [],
): RuntimeVerdict {
  const loc = RUNTIMES[rm.id];
  const version = facts.get(`runtime.${rm.id}.version`)?.value;
  const v: RuntimeVerdict = {
    id: rm.id,
    name: loc.name,
    installed: rm.installed,
    version: typeof version === 'string' ? version : null,
    mode: rm.mode,
    judged_mode: rm.judgedMode,
    ready: 'yes',
    risk: 'none',
    reasons: [...rm.notes],
  };
  if (facts.get(`runtime.${rm.id}.ambiguous`)?.value === true)
    v.reasons.push(String(facts.get(`runtime.${rm.id}.ambiguous`)?.evidence));

  // Readiness: every need of the judged mode must hold.
  if (facts.get('container.inside')?.value === true) {
    v.ready = 'unknown';
    v.reasons.push(
      facts.get('container.kind')?.value === 'chroot'
        ? "ctrsafe runs in a chroot: its files are the chroot's and the kernel refuses user namespaces to a chrooted process (unshare(2)), so neither describes the host"
        : `ctrsafe runs inside a container (${facts.get('container.kind')?.value ?? 'unknown kind'}): its files and limits are not the host's`,
    );
  } else if (rm.broken) v.ready = 'no';
  else if (rm.judgedMode === null) v.ready = 'unknown';
  else {
    const needs = NEEDS[rm.id][rm.judgedMode];
    if (!needs) {
      v.ready = 'unknown';
      v.reasons.push(`ctrsafe has no requirements recorded for ${loc.name} in ${rm.judgedMode} mode`);
    } else {
      for (const need of needs) {
        if (need.sinceVersion && v.version && compareLooseVersion(v.version, need.sinceVersion) < 0) {
          v.reasons.push(
            `${need.label}: not required before ${need.sinceVersion} (installed ${v.version}), but running without it is unsafe`,
          );
          continue;
        }
        const r = evaluateCondition(need.cond, facts);
        if (r.value === true) v.reasons.push(`${need.label}: yes (${evidence(facts, r.used)})`);
        else if (r.value === false) {
          v.ready = 'no';
          v.reasons.push(`${need.label}: no; ${need.why} (${evidence(facts, r.used)})`);
        } else {
          if (v.ready === 'yes') v.ready = 'unknown';
          v.reasons.push(
            `${need.label}: unknown (${[...new Set(r.missing)].map(describeMissing).join('; ')})`,
          );
        }
      }
    }
  }

  // Risk: the worst failed finding that touches this runtime or its mode.
  const byId = new Map(rules.map((r) => [r.id, r]));
  const touches = (f: Finding) => {
    const a = byId.get(f.id)?.affects ?? [];
    return (
      a.includes(rm.id) ||
      a.includes('all') ||
      (rm.judgedMode !== null && a.includes(rm.judgedMode === 'setuid' ? 'setuid' : 'unprivileged'))
    );
  };
  if (rm.judgedMode === 'setuid') {
    v.risk = 'low';
    v.reasons.push(
      'risk: at least low in setuid mode: a root-owned starter hands user-supplied images to kernel file system code (Apptainer admin guide, "Security in Apptainer")',
    );
  }
  let unknownSevere = false;
  for (const f of findings) {
    if (!touches(f)) continue;
    if (f.status === 'fail' && f.severity !== 'info') {
      v.risk = maxRisk(v.risk, asRisk(f.severity));
      v.reasons.push(`risk: ${f.severity} from ${f.id} ${f.title.toLowerCase()} failing`);
    } else if (f.status === 'unknown' && (f.severity === 'high' || f.severity === 'critical'))
      unknownSevere = true;
  }
  let undecided = 0;
  for (const x of vulns) {
    const needsUserns = x.preconditions.unprivileged_userns === true;
    if (x.status === 'mitigated' || !vulnerabilityTouches(x, rm, needsUserns)) continue;
    if (x.status === 'affected') {
      v.risk = maxRisk(v.risk, x.severity);
      v.reasons.push(
        `risk: ${x.severity} from ${x.id} (${x.target}, ${x.exposure === 'exploitable' ? 'exploitable here' : 'exposure unknown'})`,
      );
    } else undecided++;
  }
  if (undecided > 0)
    v.reasons.push(`${undecided} advisories could not be decided for this host (see vulnerabilities)`);
  if (unknownSevere && (v.risk === 'none' || v.risk === 'low')) {
    v.risk = 'unknown';
    v.reasons.push('risk: unknown, because a high or critical check that applies could not be decided');
  }
  return v;
}
