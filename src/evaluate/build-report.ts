// Builds the ctrsafe.report/1 document from facts (pure): features, runtime verdicts, findings.
import type { Facts } from '../facts/fact.js';
import type { HostReport as Report, VulnerabilitySummary } from '../schema/host-report.js';
import { REPORT_SCHEMA } from '../schema/report-values.js';
import { RULES } from '../rules/catalogue.js';
import type { ContainerModel } from '../rules/rule.js';
import type { Advisory } from '../advisories/advisory.js';
import { newestRecordDate } from '../advisories/advisory-store.js';
import type { DistroFixSource } from '../advisories/distro-fix.js';
import { buildVulnerabilities, type Resolved, type Vulnerability } from './build-vulnerabilities.js';
import { assessAccelerators } from './assess-accelerators.js';
import { assessRuntime } from './assess-runtime.js';
import { deriveFeatures } from './derive-features.js';
import { evaluateRules } from './evaluate-rules.js';
import { resolveRuntimeModes, type RuntimeMode } from './runtime-modes.js';

export { REPORT_SCHEMA };
export type { Report, VulnerabilitySummary };

/** Counts per target, in the order targets first appear (the kernel, then runtimes and components). */
export function summarizeVulnerabilities(
  v: readonly Vulnerability[],
  r: readonly Resolved[],
): VulnerabilitySummary[] {
  const by = new Map<string, VulnerabilitySummary>();
  const row = (target: string, installed: string | null) => {
    let s = by.get(target);
    if (!s) {
      s = {
        target,
        installed_version: installed,
        affected: 0,
        mitigated: 0,
        unknown: 0,
        fixed: 0,
        not_affected: 0,
      };
      by.set(target, s);
    }
    return s;
  };
  for (const x of v) row(x.target, x.installed_version)[x.status]++;
  for (const x of r) row(x.target, x.installed_version)[x.status === 'fixed' ? 'fixed' : 'not_affected']++;
  return [...by.values()];
}

const oldest = (dates: (string | null)[]): string | null =>
  dates
    .filter((d): d is string => typeof d === 'string' && /^\d{4}-\d{2}-\d{2}/.test(d))
    .sort()[0]
    ?.slice(0, 10) ?? null;

export interface ReportOptions {
  reportId: string;
  model?: ContainerModel;
  advisories?: {
    list: readonly Advisory[];
    distro?: readonly DistroFixSource[];
    source: string;
    problems: string[];
  };
  version: string;
  now: Date;
  rootDir?: string | null;
}

/** A database whose newest record is older than 90 days is flagged in every report (issue 3). */
function databaseAge(
  list: readonly Advisory[],
  now: Date,
): { newest_record: string | null; age_days: number | null; stale: boolean } {
  const newest = newestRecordDate(list);
  const age = newest ? Math.floor((now.getTime() - newest.getTime()) / 86400000) : null;
  return { newest_record: newest?.toISOString() ?? null, age_days: age, stale: age === null || age > 90 };
}

function inferModel(modes: RuntimeMode[]): { value: ContainerModel; evidence: string } {
  const installed = modes.filter((m) => m.installed && m.mode !== null);
  const setuid = installed.filter((m) => m.mode === 'setuid').map((m) => m.id);
  const userns = installed.filter((m) => m.mode === 'unprivileged').map((m) => m.id);
  if (setuid.length > 0 && userns.length === 0)
    return { value: 'setuid', evidence: `only setuid runtimes are installed (${setuid.join(', ')})` };
  if (userns.length > 0 && setuid.length === 0)
    return { value: 'userns', evidence: `only unprivileged runtimes are installed (${userns.join(', ')})` };
  if (installed.length === 0)
    return { value: 'both', evidence: 'no runtime is installed; both models are judged' };
  return {
    value: 'both',
    evidence: `setuid (${setuid.join(', ')}) and unprivileged (${userns.join(', ')}) runtimes are installed`,
  };
}

const str = (f: Facts, id: string): string | null => {
  const v = f.get(id)?.value;
  return typeof v === 'string' ? v : null;
};

export function buildReport(collected: Facts, opts: ReportOptions, probeUser: string | null): Report {
  const facts: Facts = new Map(collected);
  const features = deriveFeatures(facts);
  for (const ft of features)
    if (ft.state !== 'unknown')
      facts.set(`feature.${ft.id}`, {
        id: `feature.${ft.id}`,
        value: ft.state,
        how: ft.how,
        evidence: ft.evidence,
      });
  const modes = resolveRuntimeModes(facts);
  for (const m of modes)
    if (m.mode)
      facts.set(`runtime.${m.id}.mode`, {
        id: `runtime.${m.id}.mode`,
        value: m.mode,
        how: 'file',
        evidence: m.notes.join('; '),
      });
  const setuidInstalled = modes.filter((m) => m.installed && m.mode === 'setuid').map((m) => m.id);
  facts.set('host.setuid_runtime', {
    id: 'host.setuid_runtime',
    value: setuidInstalled.length > 0,
    how: 'file',
    evidence: setuidInstalled.length
      ? `setuid runtimes: ${setuidInstalled.join(', ')}`
      : 'no runtime is installed in setuid mode',
  });

  const inferred = inferModel(modes);
  const model = opts.model
    ? { value: opts.model, how: 'option' as const, evidence: `--model ${opts.model}` }
    : { ...inferred, how: 'inferred' as const };
  const findings = evaluateRules(RULES, facts, model.value);
  const { vulnerabilities, resolved, notAffected } = buildVulnerabilities(
    opts.advisories?.list ?? [],
    facts,
    opts.advisories?.distro ?? [],
  );
  const runtimes = modes.map((m) => assessRuntime(m, facts, findings, RULES, vulnerabilities));

  const fail: Record<string, number> = {};
  for (const f of findings) if (f.status === 'fail') fail[f.severity] = (fail[f.severity] ?? 0) + 1;
  const problems = [...facts.values()]
    .filter((f) => /\.problem$|_problem$|\.error$/.test(f.id))
    .map((f) => f.evidence);

  return {
    schema: REPORT_SCHEMA,
    report_id: opts.reportId,
    tool: { name: 'ctrsafe', version: opts.version },
    generated_at: opts.now.toISOString(),
    host: {
      hostname: str(facts, 'host.hostname'),
      source: facts.get('host.source')?.value === 'live' ? 'live' : 'root',
      root: opts.rootDir ?? null,
      kernel: {
        release: str(facts, 'kernel.release'),
        distro_kernel: facts.get('kernel.distro_kernel')?.value === true,
        family: str(facts, 'kernel.family'),
      },
      os: {
        id: str(facts, 'os.id'),
        version_id: str(facts, 'os.version_id'),
        pretty_name: str(facts, 'os.pretty_name'),
      },
      container: {
        inside: facts.get('container.inside')?.value === true,
        kind: str(facts, 'container.kind'),
      },
      probe_user: probeUser,
    },
    model,
    features,
    runtimes,
    accelerators: assessAccelerators(facts, runtimes),
    findings,
    vulnerabilities,
    resolved,
    vulnerability_summary: summarizeVulnerabilities(vulnerabilities, resolved),
    advisories: {
      source: opts.advisories?.source ?? 'none',
      count: opts.advisories?.list.length ?? 0,
      not_affected: notAffected,
      ...databaseAge(opts.advisories?.list ?? [], opts.now),
      oldest_decision_data: oldest([...vulnerabilities, ...resolved].map((x) => x.source_date)),
      problems: opts.advisories?.problems ?? [],
    },
    summary: {
      fail,
      unknown: findings.filter((f) => f.status === 'unknown').length,
      pass: findings.filter((f) => f.status === 'pass').length,
    },
    facts: [...collected.values()],
    problems,
  };
}
