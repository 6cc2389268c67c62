// `ctrsafe check`: collect facts from the live host or a tree, judge them, print the verdict.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { defaultStoreDir } from '../advisories/advisory-store.js';
import { loadAdvisoryDir, loadDatabase } from '../advisories/load-advisories.js';
import { collectHost } from '../collect/collect-host.js';
import { HostRootError, InputError, UsageError } from '../errors.js';
import { buildReport, type Report } from '../evaluate/build-report.js';
import { evaluateRule } from '../evaluate/evaluate-rules.js';
import { HostRoot } from '../host/host-root.js';
import { SafeDir } from '../host/safe-write.js';
import { findRule } from '../rules/catalogue.js';
import { SEVERITIES, type ContainerModel, type Severity } from '../rules/rule.js';
import { renderExplain } from '../render/render-explain.js';
import { renderPrometheus } from '../render/render-prometheus.js';
import { renderSarif } from '../render/render-sarif.js';
import { renderText } from '../render/render-text.js';
import { escapeControl } from '../render/terminal-text.js';
import { makeStyle, wantColour } from '../render/style.js';
import { toolVersion } from '../tool-version.js';
import type { CliIo } from './io.js';
import { flag, oneOf, parseArgs, positiveInt, type FlagSpec, type ParsedArgs } from './parse-args.js';

export const CHECK_FLAGS: FlagSpec[] = [
  { name: 'root', takesValue: true },
  { name: 'format', short: 'f', takesValue: true },
  { name: 'explain', takesValue: true },
  { name: 'fail-on', takesValue: true },
  { name: 'as-user', takesValue: true },
  { name: 'model', takesValue: true },
  { name: 'probe-timeout', takesValue: true },
  { name: 'advisories', takesValue: true },
  { name: 'db', takesValue: true },
  { name: 'push', takesValue: true },
  { name: 'textfile-dir', takesValue: true },
  { name: 'state', takesValue: true },
  // Internal (ctrsafe gate's watchdog): write each step's name to this file descriptor as it starts.
  { name: 'progress-fd', takesValue: true },
  { name: 'timeout', takesValue: true },
  { name: 'enroll-secret-file', takesValue: true },
  { name: 'color', takesValue: true },
  { name: 'no-color', takesValue: false },
  { name: 'verbose', short: 'v', takesValue: false },
  { name: 'help', short: 'h', takesValue: false },
];

export const CHECK_HELP = `Usage: ctrsafe check [options]

Tells which container runtimes can run on this host, in which mode, how safely, and what to change.

Options:
  --root DIR            judge a copied host tree (node image, snapshot) instead of the live host
  --format FORMAT       text (default), json, sarif (SARIF 2.1.0) or prometheus
  --textfile-dir DIR    with --format prometheus: write DIR/ctrsafe.prom atomically for node_exporter
  --explain RULE        explain one rule and how this host fares against it
  --fail-on SEVERITY    exit 1 when a finding of this severity or worse fails (info|low|medium|high|critical)
  --model MODEL         the site's container model: userns, setuid or both (default: inferred)
  --as-user NAME        run the probes as this unprivileged user (root only; default nobody)
  --probe-timeout MS    deadline for each probe and version command (default 3000)
  --advisories DIR      match against this directory of OSV records instead of the database
  --push URL            send the report to a ctrsafe fleet server (enrols once, spools when it is down)
  --state DIR           where --push keeps its token and spool (default /var/lib/ctrsafe, or ~/.local/share/ctrsafe)
  --db DIR              the advisory database updated by "ctrsafe db update" (default: see ctrsafe db --help)
  --timeout SEC         watchdog: the check runs in a child that is killed after SEC seconds, naming the step
                        that hung (default 120 with --root, whose tree may be hostile; off for the live host)
  --color WHEN          auto, always or never (NO_COLOR is honoured)
  -v, --verbose         show every reason and full evidence
`;

export interface CheckResult {
  report: Report;
  exitCode: number;
}

/** Runs collection and evaluation; shared by check, snapshot and tests. */
export async function runCheck(opts: {
  root?: string;
  asUser?: string;
  model?: ContainerModel;
  probeTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  advisoriesDir?: string;
  dbDir?: string;
  onStep?: (step: string) => void;
}): Promise<{ report: Report; collected: Awaited<ReturnType<typeof collectHost>>; root: HostRoot }> {
  const root = opts.root !== undefined ? HostRoot.open(opts.root) : HostRoot.live();
  const collected = await collectHost({
    root,
    ...(opts.asUser !== undefined ? { asUser: opts.asUser } : {}),
    ...(opts.probeTimeoutMs !== undefined ? { probeTimeoutMs: opts.probeTimeoutMs } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.onStep ? { onStep: opts.onStep } : {}),
  });
  opts.onStep?.('loading advisories');
  const db =
    opts.advisoriesDir !== undefined
      ? loadAdvisoryDir(opts.advisoriesDir)
      : loadDatabase(opts.dbDir ?? defaultStoreDir(opts.env ?? process.env));
  opts.onStep?.('matching advisories and evaluating rules');
  const report = buildReport(
    collected.facts,
    {
      advisories: { list: db.advisories, distro: db.distro, source: db.source, problems: db.problems },
      version: toolVersion(),
      now: new Date(),
      reportId: randomUUID(),
      rootDir: root.isLive ? null : root.dir,
      ...(opts.model ? { model: opts.model } : {}),
    },
    collected.probeUser,
  );
  return { report, collected, root };
}

const DEFAULT_ROOT_TIMEOUT_S = 120;

/** The report from a child check run under the gate's watchdog; one line naming the step when it overruns. */
async function checkUnderWatchdog(p: ParsedArgs, timeoutS: number, env: NodeJS.ProcessEnv): Promise<Report> {
  const { runCheckChild } = await import('../gate/run-check-child.js');
  // A --root that cannot be read is said at once, as without the watchdog.
  if (flag(p, 'root') !== undefined) HostRoot.open(flag(p, 'root')!);
  const pass = (name: string) => (flag(p, name) !== undefined ? [`--${name}`, flag(p, name)!] : []);
  const child = await runCheckChild(
    ['root', 'as-user', 'model', 'probe-timeout', 'advisories', 'db'].flatMap(pass),
    { timeoutMs: timeoutS * 1000, env },
  );
  if (child.ok) return child.report as Report;
  const root = flag(p, 'root');
  const msg = root !== undefined ? `--root ${root}: ${child.error}` : child.error;
  throw root !== undefined ? new HostRootError(msg) : new InputError(msg);
}

export async function checkCommand(args: string[], io: CliIo): Promise<number> {
  const p = parseArgs(args, CHECK_FLAGS);
  if (p.flags.has('help')) {
    io.stdout.write(CHECK_HELP);
    return 0;
  }
  if (p.positionals.length > 0) throw new UsageError(`check takes no arguments (got "${p.positionals[0]}")`);
  const format =
    oneOf(flag(p, 'format'), ['text', 'json', 'sarif', 'prometheus'] as const, '--format') ?? 'text';
  const failOn = oneOf(flag(p, 'fail-on'), SEVERITIES, '--fail-on') as Severity | undefined;
  const model = oneOf(flag(p, 'model'), ['userns', 'setuid', 'both'] as const, '--model');
  const colour = p.flags.has('no-color')
    ? 'never'
    : (oneOf(flag(p, 'color'), ['auto', 'always', 'never'] as const, '--color') ?? 'auto');
  const probeTimeoutMs = positiveInt(flag(p, 'probe-timeout'), '--probe-timeout', 60000);
  const explain = flag(p, 'explain');
  const rule = explain !== undefined ? findRule(explain) : undefined;
  if (explain !== undefined && !rule)
    throw new UsageError(`--explain ${explain}: no such rule (ctrsafe rules lists them)`);

  const root = flag(p, 'root');
  const asUser = flag(p, 'as-user');
  const advisoriesDir = flag(p, 'advisories');
  const dbDir = flag(p, 'db');
  const progressFd = positiveInt(flag(p, 'progress-fd'), '--progress-fd', 1000);
  const timeoutS =
    positiveInt(flag(p, 'timeout'), '--timeout', 3600) ??
    (root !== undefined ? DEFAULT_ROOT_TIMEOUT_S : null);
  // The watchdog is the gate's: this same check in a child, killed when it overruns (a hostile tree can make a
  // reader slow, a dead mount can block a thread). The child is the one started with --progress-fd.
  const report =
    timeoutS && progressFd === undefined
      ? await checkUnderWatchdog(p, timeoutS, io.env)
      : (
          await runCheck({
            ...(progressFd
              ? {
                  onStep: (s: string) => {
                    try {
                      fs.writeSync(progressFd, `${s}\n`);
                    } catch {
                      // the watchdog went away; the check goes on
                    }
                  },
                }
              : {}),
            ...(root !== undefined ? { root } : {}),
            ...(advisoriesDir !== undefined ? { advisoriesDir } : {}),
            ...(dbDir !== undefined ? { dbDir } : {}),
            ...(asUser !== undefined ? { asUser } : {}),
            ...(model ? { model } : {}),
            ...(probeTimeoutMs ? { probeTimeoutMs } : {}),
            env: io.env,
          })
        ).report;
  const st = makeStyle(wantColour(io.env, io.stdout.isTTY === true, colour));

  if (rule) {
    const finding =
      report.findings.find((f) => f.id === rule.id) ?? evaluateRule(rule, new Map(), report.model.value);
    io.stdout.write(
      format === 'json'
        ? JSON.stringify({ rule, finding }, null, 2) + '\n'
        : renderExplain(rule, finding, st),
    );
  } else if (format === 'json') io.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else if (format === 'sarif') io.stdout.write(renderSarif(report));
  else if (format === 'prometheus') {
    const body = renderPrometheus(report);
    const dir = flag(p, 'textfile-dir');
    if (dir) {
      // node_exporter reads *.prom: the temporary name does not end so; the rename makes the new file appear whole.
      const out = SafeDir.open(dir);
      try {
        io.stdout.write(`ctrsafe: wrote ${out.writeFile('ctrsafe.prom', body, 0o644)}\n`);
      } finally {
        out.close();
      }
    } else io.stdout.write(body);
  } else io.stdout.write(renderText(report, st, { verbose: p.flags.has('verbose') }));

  const pushUrl = flag(p, 'push');
  if (pushUrl) {
    const { pushReport } = await import('../fleet/push.js');
    const secretFile = flag(p, 'enroll-secret-file');
    const enrollSecret = secretFile
      ? fs.readFileSync(secretFile, 'utf8').trim()
      : io.env.CTRSAFE_ENROLL_SECRET;
    const res = await pushReport(JSON.stringify(report), report.report_id, {
      url: pushUrl,
      stateDir: flag(p, 'state') ?? defaultStoreDir(io.env),
      hostname: report.host.hostname ?? 'unknown',
      ...(enrollSecret ? { enrollSecret } : {}),
    });
    // The message quotes the server's answer.
    io.stderr.write(`ctrsafe: push to ${pushUrl}: ${escapeControl(res.message)}\n`);
  }
  if (failOn) {
    const min = SEVERITIES.indexOf(failOn);
    if (report.findings.some((f) => f.status === 'fail' && SEVERITIES.indexOf(f.severity) >= min)) return 1;
  }
  return 0;
}
