// `ctrsafe check`: collect facts from the live host or a tree, judge them, print the verdict.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { defaultStoreDir } from '../advisories/advisory-store.js';
import { loadAdvisoryDir, loadDatabase } from '../advisories/load-advisories.js';
import { advisoryCves } from '../advisories/distro-index.js';
import { collectHost, startProbes } from '../collect/collect-host.js';
import { HostRootError, InputError, UsageError } from '../errors.js';
import { buildReport, type Report } from '../evaluate/build-report.js';
import { evaluateRule } from '../evaluate/evaluate-rules.js';
import { HostRoot } from '../host/host-root.js';
import { FactCache } from '../host/fact-cache.js';
import type { PathGuard } from '../host/path-guard.js';
import { SafeDir } from '../host/safe-write.js';
import { findRule } from '../rules/catalogue.js';
import type { ContainerModel } from '../rules/rule.js';
import { narrowReport } from '../evaluate/narrow-report.js';
import { renderCheckCsv, renderCheckJunit } from '../render/render-check-tables.js';
import { renderExplain, renderVerdictExplain } from '../render/render-explain.js';
import { renderPrometheus } from '../render/render-prometheus.js';
import { renderSarif } from '../render/render-sarif.js';
import { renderText } from '../render/render-text.js';
import { escapeControl } from '../render/terminal-text.js';
import { makeStyle, wantColour } from '../render/style.js';
import { toolVersion } from '../tool-version.js';
import { loadIgnoreFile } from './ignore-file.js';
import { countedSeverities, emit, exitCodeFor, noteIgnores } from './report-output.js';
import type { CliIo } from './io.js';
import type { Options } from './options.js';
import type { CommandContext } from './spec.js';

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
  /** Live paths not to read in this process (the in-process gate); root.refused() names the first one asked for. */
  guard?: PathGuard;
}): Promise<{ report: Report; collected: Awaited<ReturnType<typeof collectHost>>; root: HostRoot }> {
  // The fact cache is the live host's only: a tree is read once, and its files are not this host's.
  const root =
    opts.root !== undefined
      ? HostRoot.open(opts.root)
      : HostRoot.live({
          ...(opts.guard ? { guard: opts.guard } : {}),
          cache: FactCache.forUser(opts.env ?? process.env, toolVersion()),
        });
  // The probes first: they are the longest wait, and the database loads while they run.
  opts.onStep?.('starting probes');
  const probes = startProbes(root, opts);
  opts.onStep?.('loading advisories');
  const db =
    opts.advisoriesDir !== undefined
      ? loadAdvisoryDir(opts.advisoriesDir)
      : loadDatabase(opts.dbDir ?? defaultStoreDir(opts.env ?? process.env));
  const collected = await collectHost({
    root,
    cves: advisoryCves(db.advisories),
    ...(probes ? { probes } : {}),
    ...(opts.asUser !== undefined ? { asUser: opts.asUser } : {}),
    ...(opts.probeTimeoutMs !== undefined ? { probeTimeoutMs: opts.probeTimeoutMs } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.onStep ? { onStep: opts.onStep } : {}),
  });
  root.factCache.save();
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
async function checkUnderWatchdog(opts: Options, timeoutS: number, io: CliIo): Promise<Report> {
  const { runCheckChild } = await import('../gate/run-check-child.js');
  // Loaded here, not at the top: a check without the watchdog never loads the schema library.
  const { HostReport } = await import('../schema/host-report.js');
  const root = opts.get('root');
  // A --root that cannot be read is said at once, as without the watchdog.
  if (root !== undefined) HostRoot.open(root);
  const pass = (name: string) => (opts.get(name) !== undefined ? [`--${name}`, opts.get(name)!] : []);
  const child = await runCheckChild(
    ['root', 'as-user', 'model', 'probe-timeout', 'advisories', 'db'].flatMap(pass),
    {
      timeoutMs: timeoutS * 1000,
      accept: HostReport,
      env: io.env,
      ...(io.self ? { argv0: io.self } : {}),
    },
  );
  if (child.ok) return child.report;
  const msg = root !== undefined ? `--root ${root}: ${child.error}` : child.error;
  throw root !== undefined ? new HostRootError(msg) : new InputError(msg);
}

export async function checkCommand({ io, opts }: CommandContext): Promise<number> {
  const format = opts.choice<'text' | 'json' | 'sarif' | 'csv' | 'junit' | 'prometheus'>('format') ?? 'text';
  const model = opts.choice<ContainerModel>('model');
  const colour = opts.has('no-color')
    ? 'never'
    : (opts.choice<'auto' | 'always' | 'never'>('color') ?? 'auto');
  const probeTimeoutMs = opts.int('probe-timeout', 60000);
  const explain = opts.get('explain');
  const rule = explain !== undefined ? findRule(explain) : undefined;
  const advisoryId =
    explain !== undefined && !rule && /^[A-Za-z][A-Za-z0-9._:-]{2,99}$/.test(explain) ? explain : undefined;
  if (explain !== undefined && !rule && !advisoryId)
    throw new UsageError(`--explain ${explain}: no such rule (ctrsafe rules lists them) or advisory id`);
  // Read before the check runs, so a malformed list or option fails fast.
  const severities = countedSeverities(opts);
  const ignores = loadIgnoreFile(opts.get('ignorefile'), process.geteuid?.() ?? -1);

  const root = opts.get('root');
  const asUser = opts.get('as-user');
  const advisoriesDir = opts.get('advisories');
  const dbDir = opts.get('db');
  const progressFd = opts.int('progress-fd', 1000);
  const timeoutS = opts.int('timeout', 3600) ?? (root !== undefined ? DEFAULT_ROOT_TIMEOUT_S : null);
  // The watchdog is the gate's: this same check in a child, killed when it overruns (a hostile tree can make a
  // reader slow, a dead mount can block a thread). The child is the one started with --progress-fd.
  const report =
    timeoutS && progressFd === undefined
      ? await checkUnderWatchdog(opts, timeoutS, io)
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
  const st = makeStyle(
    opts.get('output') === undefined && wantColour(io.env, io.stdout.isTTY === true, colour),
  );
  const view = narrowReport(report, severities, ignores, new Date());

  if (rule) {
    const finding =
      report.findings.find((f) => f.id === rule.id) ?? evaluateRule(rule, new Map(), report.model.value);
    emit(
      io,
      opts,
      format === 'json'
        ? JSON.stringify({ rule, finding }, null, 2) + '\n'
        : renderExplain(rule, finding, st),
    );
  } else if (advisoryId) {
    const text = renderVerdictExplain(advisoryId, report, st);
    if (!text)
      throw new UsageError(
        `--explain ${advisoryId}: no such rule, and no advisory of that id applies to this host`,
      );
    emit(io, opts, text);
  } else if (format === 'json') emit(io, opts, JSON.stringify(view, null, 2) + '\n');
  else if (format === 'sarif') emit(io, opts, renderSarif(view));
  else if (format === 'csv') emit(io, opts, renderCheckCsv(view));
  else if (format === 'junit') emit(io, opts, renderCheckJunit(view));
  else if (format === 'prometheus') {
    const body = renderPrometheus(report);
    const dir = opts.get('textfile-dir');
    if (dir) {
      // node_exporter reads *.prom: the temporary name does not end so; the rename makes the new file appear whole.
      const out = SafeDir.open(dir);
      try {
        const file = out.writeFile('ctrsafe.prom', body, 0o644);
        if (!opts.has('quiet')) io.stderr.write(`ctrsafe: wrote ${file}\n`);
      } finally {
        out.close();
      }
    } else emit(io, opts, body);
  } else emit(io, opts, renderText(view, st, { verbose: opts.has('verbose'), all: opts.has('all') }));
  if (view.ignored) noteIgnores(io, opts, view.ignored);

  // The watchdog's child (--progress-fd) only reports to its parent, which pushes: a push set in ctrsafe.conf
  // would otherwise be sent twice.
  const pushUrl = progressFd === undefined ? opts.get('push') : undefined;
  if (pushUrl) {
    const { pushReport } = await import('../fleet/push.js');
    const secretFile = opts.get('enroll-secret-file');
    const enrollSecret = secretFile
      ? fs.readFileSync(secretFile, 'utf8').trim()
      : io.env.CTRSAFE_ENROLL_SECRET;
    // The fleet keeps the whole report: the ignore file and --severity shape this node's output, not its record.
    const res = await pushReport(JSON.stringify(report), report.report_id, {
      url: pushUrl,
      stateDir: opts.get('state') ?? defaultStoreDir(io.env),
      hostname: report.host.hostname ?? 'unknown',
      ...(enrollSecret ? { enrollSecret } : {}),
    });
    // The message quotes the server's answer.
    if (!opts.has('quiet') || res.spooled > 0 || res.rejected > 0)
      io.stderr.write(`ctrsafe: push to ${pushUrl}: ${escapeControl(res.message)}\n`);
  }
  const failures = view.findings.filter((f) => f.status === 'fail');
  return exitCodeFor(
    opts,
    [...failures, ...view.vulnerabilities.filter((v) => v.status === 'affected')],
    failures,
  );
}
