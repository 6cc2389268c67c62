// `ctrsafe fleet serve`: the API and dashboard, the store's writer in its own thread, logs as JSON lines.
import * as fs from 'node:fs';
import { InputError, UsageError } from '../errors.js';
import { createApp } from '../fleet/server/app.js';
import { LocalBackend, type FleetBackend } from '../fleet/server/backend.js';
import { openJsonLines } from '../fleet/server/json-lines.js';
import { serveApp } from '../fleet/server/serve.js';
import { ThreadedBackend } from '../fleet/server/writer-thread.js';
import type { ReenrolPolicy } from '../fleet/store/node-identity.js';
import { openStore, type StoreOptions } from '../fleet/store/open-store.js';
import type { CliIo } from './io.js';
import { staleMs, storeOf } from './fleet-command.js';
import type { Options } from './options.js';
import type { CommandContext } from './spec.js';

function secret(env: string | undefined, file: string | undefined, what: string): string {
  const v = file ? fs.readFileSync(file, 'utf8').trim() : env;
  if (!v || v.length < 16) throw new InputError(`${what} must be set (at least 16 characters)`);
  return v;
}

/** "30" or "30/60": per minute and burst; "0": no limit. */
function enrolRate(
  v: string | undefined,
  what: string,
): { perMinute: number; burst: number } | null | undefined {
  if (v === undefined) return undefined;
  if (v === '0') return null;
  const m = /^(\d{1,6})(?:\/(\d{1,6}))?$/.exec(v);
  if (!m || Number(m[1]) === 0)
    throw new UsageError(`${what} must be N or N/BURST (per minute), or 0 (got "${v}")`);
  return { perMinute: Number(m[1]), burst: Number(m[2] ?? Number(m[1]) * 2) };
}

export async function fleetServeCommand({ io, opts }: CommandContext): Promise<number> {
  const { db, storeOpts } = storeOf(opts);
  return fleetServe(db, storeOpts, opts, io, staleMs(opts));
}

/** Runs until SIGINT/SIGTERM; every acknowledged report was committed before its answer. */
async function fleetServe(
  db: string,
  storeOpts: StoreOptions,
  opts: Options,
  io: CliIo,
  staleMs: number,
): Promise<number> {
  const listen = opts.get('listen') ?? '127.0.0.1:8080';
  const m = /^(.*):(\d{1,5})$/.exec(listen);
  if (!m) throw new UsageError('--listen must be HOST:PORT');
  const adminToken = secret(
    io.env.CTRSAFE_ADMIN_TOKEN,
    opts.get('admin-token-file'),
    'the admin token (CTRSAFE_ADMIN_TOKEN or --admin-token-file)',
  );
  const enrollSecret = secret(
    io.env.CTRSAFE_ENROLL_SECRET,
    opts.get('enroll-secret-file'),
    'the enrolment secret (CTRSAFE_ENROLL_SECRET or --enroll-secret-file)',
  );
  const metricsFile = opts.get('metrics-token-file');
  const metricsToken =
    metricsFile || io.env.CTRSAFE_METRICS_TOKEN
      ? secret(
          io.env.CTRSAFE_METRICS_TOKEN,
          metricsFile,
          'the metrics token (CTRSAFE_METRICS_TOKEN or --metrics-token-file)',
        )
      : undefined;
  const reenrol: ReenrolPolicy = opts.choice<ReenrolPolicy>('reenroll') ?? 'refuse';
  const rate = enrolRate(opts.get('enroll-rate'), opts.label('enroll-rate'));
  const retentionDays = opts.int('retention-days', 36500);
  const requests = openJsonLines(opts.get('request-log') ?? '-');
  const audits = openJsonLines(opts.get('audit-log') ?? '-');
  const line = (log: string, message: string) =>
    (requests ?? audits)?.write({ time: new Date().toISOString(), log, message });
  const errorLine = (message: string) => line('error', message);
  let backend: FleetBackend;
  // The single executable has no script file a worker thread could load: its store runs in the main thread.
  const inProcess = opts.has('in-process') || runsAsSingleExecutable();
  if (inProcess) backend = new LocalBackend(await openStore(db, { ...storeOpts, onError: errorLine }));
  else
    backend = await ThreadedBackend.start(db, {
      ...storeOpts,
      log: errorLine,
      onExit: (why) => {
        errorLine(why);
        io.stderr.write(`ctrsafe: ${why}; stopping\n`);
        process.exit(70);
      },
    });
  const app = createApp(backend, {
    adminToken,
    enrollSecret,
    ...(metricsToken ? { metricsToken } : {}),
    staleMs,
    reenrol,
    ...(rate !== undefined ? { enrolRate: rate } : {}),
    onEvent: (kind, entry) =>
      (kind === 'audit' ? audits : (requests ?? audits))?.write({
        time: new Date().toISOString(),
        log: kind,
        ...entry,
      }),
  });
  const server = await serveApp(app, m[1]!.replace(/^\[|\]$/g, ''), Number(m[2]), {
    ...(opts.all('trust-proxy').length ? { trustProxy: opts.all('trust-proxy') } : {}),
    maxConnections: opts.int('max-connections', 1_000_000) ?? 1024,
    ...(requests ? { requestLog: (e: Record<string, unknown>) => requests.write(e) } : {}),
  });
  // Where it listens and which store it opened: the first thing an operator looks for in the journal.
  const store = db.startsWith('sqlite:')
    ? `${db} (${(await (await import('../fleet/store/sqlite-connection.js')).sqliteConnector()).name})`
    : db.replace(/[?#].*$/, '');
  io.stdout.write(
    `ctrsafe: fleet API and dashboard listening on http://${listen}/; store ${store}${inProcess ? ', written in the main thread' : ''}\n`,
  );
  let pruning: NodeJS.Timeout | undefined;
  if (retentionDays) {
    const prune = () =>
      backend
        .prune(Date.now() - retentionDays * 86_400_000)
        .then((r) =>
          line(
            'retention',
            `${r.nodes} nodes and ${r.transitions} transitions older than ${retentionDays} days pruned`,
          ),
        )
        .catch((e: Error) => errorLine(`retention: ${e.message}`));
    void prune();
    pruning = setInterval(() => void prune(), 6 * 3600_000);
    pruning.unref();
  }
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => server.close(() => resolve()));
  });
  clearInterval(pruning);
  await backend.close();
  await requests?.close();
  await audits?.close();
  return 0;
}

/** node:sea (Node >= 21.7) says whether this process is a single executable application; older Nodes have none. */
function runsAsSingleExecutable(): boolean {
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  const sea = get?.('node:sea') as { isSea?: () => boolean } | undefined;
  return sea?.isSea?.() === true;
}
