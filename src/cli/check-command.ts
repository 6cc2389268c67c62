// `ctrsafe check`: collect facts from the live host or a tree, judge them, print the verdict.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultStoreDir } from '../advisories/advisory-store.js';
import { loadAdvisoryDir, loadDatabase } from '../advisories/load-advisories.js';
import { collectHost } from '../collect/collect-host.js';
import { UsageError } from '../errors.js';
import { buildReport, type Report } from '../evaluate/build-report.js';
import { evaluateRule } from '../evaluate/evaluate-rules.js';
import { HostRoot } from '../host/host-root.js';
import { findRule } from '../rules/catalogue.js';
import type { ContainerModel } from '../rules/rule.js';
import { narrowReport } from '../evaluate/narrow-report.js';
import { renderCheckCsv, renderCheckJunit } from '../render/render-check-tables.js';
import { renderExplain } from '../render/render-explain.js';
import { renderPrometheus, writeTextfile } from '../render/render-prometheus.js';
import { renderSarif } from '../render/render-sarif.js';
import { renderText } from '../render/render-text.js';
import { makeStyle, wantColour } from '../render/style.js';
import { toolVersion } from '../tool-version.js';
import { loadIgnoreFile } from './ignore-file.js';
import { countedSeverities, emit, exitCodeFor, noteIgnores } from './report-output.js';
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

export async function checkCommand({ io, opts }: CommandContext): Promise<number> {
  const format = opts.choice<'text' | 'json' | 'sarif' | 'csv' | 'junit' | 'prometheus'>('format') ?? 'text';
  const model = opts.choice<ContainerModel>('model');
  const colour = opts.has('no-color')
    ? 'never'
    : (opts.choice<'auto' | 'always' | 'never'>('color') ?? 'auto');
  const probeTimeoutMs = opts.int('probe-timeout', 60000);
  const explain = opts.get('explain');
  const rule = explain !== undefined ? findRule(explain) : undefined;
  if (explain !== undefined && !rule)
    throw new UsageError(`--explain ${explain}: no such rule (ctrsafe rules lists them)`);
  // Read before the check runs, so a malformed list or option fails fast.
  const severities = countedSeverities(opts);
  const ignores = loadIgnoreFile(opts.get('ignorefile'), process.geteuid?.() ?? -1);

  const root = opts.get('root');
  const asUser = opts.get('as-user');
  const advisoriesDir = opts.get('advisories');
  const dbDir = opts.get('db');
  const progressFd = opts.int('progress-fd', 1000);
  const { report } = await runCheck({
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
  });
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
  } else if (format === 'json') emit(io, opts, JSON.stringify(view, null, 2) + '\n');
  else if (format === 'sarif') emit(io, opts, renderSarif(view));
  else if (format === 'csv') emit(io, opts, renderCheckCsv(view));
  else if (format === 'junit') emit(io, opts, renderCheckJunit(view));
  else if (format === 'prometheus') {
    const body = renderPrometheus(report);
    const dir = opts.get('textfile-dir');
    if (dir) {
      const file = writeTextfile(dir, body, fs, path);
      if (!opts.has('quiet')) io.stderr.write(`ctrsafe: wrote ${file}\n`);
    } else emit(io, opts, body);
  } else emit(io, opts, renderText(view, st, { verbose: opts.has('verbose') }));
  if (view.ignored) noteIgnores(io, opts, view.ignored);

  const pushUrl = opts.get('push');
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
    if (!opts.has('quiet') || res.spooled > 0 || res.rejected > 0)
      io.stderr.write(`ctrsafe: push to ${pushUrl}: ${res.message}\n`);
  }
  const failures = view.findings.filter((f) => f.status === 'fail');
  return exitCodeFor(
    opts,
    [...failures, ...view.vulnerabilities.filter((v) => v.status === 'affected')],
    failures,
  );
}
