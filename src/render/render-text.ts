// Renders a report for a system manager's terminal: runtime verdicts first, then what failed and how to fix it.
import type { Report } from '../evaluate/build-report.js';
import type { Style } from './style.js';
import { escapeStrings } from './terminal-text.js';

const SEV_ORDER = ['critical', 'high', 'medium', 'low', 'info'];

function pad(s: string, n: number): string {
  return s.length >= n ? s + ' ' : s + ' '.repeat(n - s.length);
}

export function renderText(
  report: Report,
  st: Style,
  opts: { verbose?: boolean; all?: boolean } = {},
): string {
  // Every string in a report may come from the host or a tree: escaped once, here, before any is printed.
  const r = escapeStrings(report);
  const out: string[] = [];
  const h = r.host;
  const kernel = h.kernel.release
    ? `kernel ${h.kernel.release} (${h.kernel.distro_kernel ? `${h.kernel.family} distribution kernel` : 'mainline'})`
    : 'kernel unknown';
  out.push(
    st.bold(`ctrsafe check: ${h.hostname ?? 'unknown host'}`) +
      st.dim(` (${h.source === 'live' ? 'live host' : `tree ${h.root}`})`),
  );
  out.push(
    `${h.os.pretty_name ?? 'OS unknown'} · ${kernel} · container model: ${r.model.value} (${r.model.how === 'option' ? '--model' : r.model.evidence})`,
  );
  if (r.advisories.stale)
    out.push(
      st.yellow(
        `WARNING: the advisory database is ${r.advisories.age_days === null ? 'empty' : `${r.advisories.age_days} days old`}; run ctrsafe db update --from <OSV export>.`,
      ),
    );
  if (h.container.inside)
    out.push(
      st.red(
        h.container.kind === 'chroot'
          ? 'WARNING: ctrsafe runs in a chroot; the answers describe the chroot, not the host (run it on the host, or check the tree with --root).'
          : `WARNING: ctrsafe runs inside a container (${h.container.kind}); the answers describe the container, not the host.`,
      ),
    );
  out.push('');

  const colourReady = (s: string) => (s === 'yes' ? st.green(s) : s === 'no' ? st.red(s) : st.yellow(s));
  const colourRisk = (s: string) =>
    s === 'none' || s === 'low' ? s : s === 'medium' || s === 'unknown' ? st.yellow(s) : st.red(s);
  out.push(st.bold(pad('RUNTIME', 16) + pad('VERSION', 15) + pad('MODE', 24) + pad('READY', 9) + 'RISK'));
  for (const rt of r.runtimes) {
    // A runtime that is not installed cannot be "ready": its columns say what the host would allow if it were.
    const version = rt.installed ? (rt.version ?? 'unknown') : 'not installed';
    const mode = rt.installed ? (rt.mode ?? 'unknown') : `(default: ${rt.judged_mode})`;
    const ready = rt.installed ? rt.ready : `(${rt.ready})`;
    out.push(
      pad(rt.id, 16) +
        pad(version, 15) +
        pad(mode, 24) +
        (rt.installed ? colourReady(ready) : st.dim(ready)) +
        ' '.repeat(Math.max(1, 9 - ready.length)) +
        (rt.installed ? colourRisk(rt.risk) : st.dim(`(${rt.risk})`)),
    );
    const why = rt.reasons.filter(
      (x) =>
        !x.startsWith('risk:') &&
        (opts.verbose || rt.ready !== 'yes') &&
        (opts.verbose || /: (no|unknown)\b|not setuid|nosuid|inside a container|in a chroot|cannot/.test(x)),
    );
    for (const w of why.slice(0, 4)) out.push(st.dim(`  └ ${w}`));
  }
  if (r.runtimes.some((rt) => !rt.installed))
    out.push(
      st.dim('(in parentheses: not installed; what this host would allow in the default mode if it were)'),
    );
  out.push('', ...renderAccelerators(r, st, opts.verbose === true, colourReady));
  out.push('');
  out.push(st.bold('KERNEL FEATURES'));
  for (const f of r.features) {
    const state =
      f.state === 'yes' ? st.green('yes') : f.state === 'no' ? st.red('no ') : st.yellow('unknown');
    out.push(
      `  ${pad(f.id, 30)}${state}${' '.repeat(Math.max(1, 8 - f.state.length))}${st.dim(`[${f.how}] ${f.evidence.length > 110 && !opts.verbose ? f.evidence.slice(0, 107) + '...' : f.evidence}`)}`,
    );
  }
  const failed = r.findings
    .filter((f) => f.status === 'fail')
    .sort((a, b) => SEV_ORDER.indexOf(a.severity) - SEV_ORDER.indexOf(b.severity));
  if (failed.length > 0) {
    out.push('');
    out.push(st.bold(`FAILED (${failed.length})`));
    for (const f of failed) {
      const sev =
        f.severity === 'critical' || f.severity === 'high'
          ? st.red(f.severity)
          : f.severity === 'medium'
            ? st.yellow(f.severity)
            : f.severity;
      out.push(`  ${sev} ${st.bold(f.id)} ${f.title}`);
      out.push(`      ${st.dim('found:')} ${f.evidence}`);
      out.push(`      ${st.dim('fix:')}   ${f.remediation}`);
    }
  }
  if (r.vulnerability_summary.length > 0)
    out.push('', ...renderVulnerabilities(r, st, opts.verbose === true, opts.all === true));
  const unknown = r.findings.filter((f) => f.status === 'unknown');
  if (unknown.length > 0) {
    out.push('');
    out.push(st.bold(`UNKNOWN (${unknown.length})`));
    for (const f of unknown) out.push(`  ${f.severity} ${f.id} ${f.title}: ${st.dim(f.evidence)}`);
  }
  if (r.problems.length > 0) {
    out.push('');
    out.push(st.bold('COULD NOT READ'));
    for (const p of r.problems) out.push(`  ${p}`);
  }
  out.push('');
  const failText = SEV_ORDER.filter((s) => r.summary.fail[s])
    .map((s) => `${r.summary.fail[s]} ${s}`)
    .join(', ');
  out.push(
    `${r.summary.pass} passed, ${failed.length} failed${failText ? ` (${failText})` : ''}, ${r.summary.unknown} unknown. Details: ctrsafe check --explain RULE-ID`,
  );
  return out.join('\n') + '\n';
}

/** GPU and RDMA: one line when the node has neither (nor a toolkit), else a verdict per installed runtime. */
function renderAccelerators(
  r: Report,
  st: Style,
  verbose: boolean,
  colourReady: (s: string) => string,
): string[] {
  const a = r.accelerators;
  const shown = (s: { present: string }) => s.present !== 'no';
  if (!shown(a.gpu) && !shown(a.rdma) && a.gpu.toolkit_version === null)
    return [`GPU and RDMA: ${a.gpu.summary}; ${a.rdma.summary}`];
  const out = [st.bold('GPU AND RDMA')];
  for (const [label, s] of [
    ['gpu', a.gpu],
    ['rdma', a.rdma],
  ] as const) {
    out.push(`  ${s.summary}`);
    for (const p of s.problems) out.push(st.yellow(`  ! ${p}`));
    for (const n of verbose ? s.notes : s.notes.slice(0, 3)) out.push(st.dim(`  · ${n}`));
    for (const v of s.runtimes) {
      out.push(
        `  ${pad(`${label} ${v.runtime}`, 20)}${colourReady(v.ready)}${' '.repeat(Math.max(1, 9 - v.ready.length))}${st.dim(v.how)}`,
      );
      const why = verbose || v.ready !== 'yes' ? v.reasons : v.reasons.filter((x) => /root|escape/.test(x));
      for (const w of why.slice(0, verbose ? 20 : 3)) out.push(st.dim(`    └ ${w}`));
      for (const fix of v.remediation) out.push(`    ${st.dim('fix:')} ${fix}`);
    }
  }
  return out;
}

const STATUS_ORDER = ['affected', 'unknown', 'mitigated'];

function renderVulnerabilities(r: Report, st: Style, verbose: boolean, all: boolean): string[] {
  const count = (status: string) => r.vulnerabilities.filter((v) => v.status === status).length;
  const data = r.advisories.oldest_decision_data
    ? `; oldest deciding data ${r.advisories.oldest_decision_data}`
    : '';
  const out = [
    st.bold(
      `KNOWN VULNERABILITIES (${count('affected')} affected, ${count('unknown')} unknown, ${count('mitigated')} mitigated, ${r.resolved.length} fixed or not affected; ${r.advisories.source}${data})`,
    ),
  ];
  // Per package: what needs doing and what is settled, so a security officer sees the whole verdict.
  for (const p of r.vulnerability_summary) {
    const parts = [
      p.affected ? st.red(`${p.affected} affected`) : '0 affected',
      p.unknown ? st.yellow(`${p.unknown} unknown`) : '0 unknown',
      ...(p.mitigated ? [`${p.mitigated} mitigated`] : []),
      `${p.fixed} fixed`,
      ...(p.not_affected ? [`${p.not_affected} not affected`] : []),
    ];
    out.push(
      `  ${pad(`${p.target}${p.installed_version ? ` ${p.installed_version}` : ''}`, 40)}${parts.join(', ')}`,
    );
  }
  const sorted = [...r.vulnerabilities].sort(
    (a, b) =>
      STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) ||
      Number(b.known_exploited !== null) - Number(a.known_exploited !== null) ||
      SEV_ORDER.indexOf(a.severity) - SEV_ORDER.indexOf(b.severity),
  );
  const limit = verbose || all ? sorted.length : 15;
  for (const v of sorted.slice(0, limit)) {
    const status =
      v.status === 'affected'
        ? st.red(pad(v.status, 10))
        : v.status === 'unknown'
          ? st.yellow(pad(v.status, 10))
          : pad(v.status, 10);
    const fix = v.fixed_version ? ` -> ${v.fixed_version}${v.advisory ? ` (${v.advisory})` : ''}` : '';
    const kev = v.known_exploited ? st.red(' [known exploited]') : '';
    out.push(
      `  ${status}${pad(v.severity, 9)}${st.bold(v.id)}${kev} ${v.target} ${v.installed_version ?? ''}${fix}: ${v.summary}`,
    );
    out.push(st.dim(`      ${v.reason}`));
  }
  if (sorted.length > limit)
    out.push(st.dim(`  ... ${sorted.length - limit} more (--verbose or --format json)`));
  if (all)
    for (const v of r.resolved) {
      out.push(
        `  ${st.green(pad(v.status, 13))}${pad(v.severity, 9)}${v.id} ${v.target} ${v.installed_version ?? ''}${v.fixed_version ? ` (fix ${v.fixed_version}${v.advisory ? `, ${v.advisory}` : ''})` : ''}`,
      );
      out.push(st.dim(`      ${v.reason} [${v.decided_by}${v.source_date ? `, ${v.source_date}` : ''}]`));
    }
  else if (r.resolved.length > 0)
    out.push(
      st.dim(
        `  ${r.resolved.length} fixed or not affected are not listed (--all lists them, --explain ID explains one)`,
      ),
    );
  return out;
}
