// `ctrsafe db status` and `ctrsafe db update --from PATH`: the offline advisory database on an air-gapped cluster.
import {
  defaultStoreDir,
  openDatabaseDir,
  mergeAdvisories,
  mergeDistroSources,
  newestRecordDate,
  readStore,
  writeStore,
  type StoreMeta,
} from '../advisories/advisory-store.js';
import type { Advisory } from '../advisories/advisory.js';
import { planImport, type ImportPlan } from '../advisories/import-plan.js';
import { loadBuiltinAdvisories } from '../advisories/load-advisories.js';
import { readImportInput } from '../advisories/read-import-input.js';
import { InputError, UsageError } from '../errors.js';
import { ImageFormatError } from '../image/image-entry.js';
import { escapeControl } from '../render/terminal-text.js';
import type { CliIo } from './io.js';
import { progressLine, type Progress } from './progress.js';
import type { CommandContext } from './spec.js';

export const STALE_DAYS = 90;
const LISTED = 20;

function statusOf(dir: string, now: Date) {
  const builtin = loadBuiltinAdvisories();
  const store = readStore(dir);
  const all = mergeAdvisories(builtin.advisories, store?.advisories ?? []);
  const newest = newestRecordDate(all, now);
  const ageDays = newest ? Math.floor((now.getTime() - newest.getTime()) / 86400000) : null;
  const targets: Record<string, number> = {};
  for (const a of all)
    for (const t of new Set(a.affected.map((x) => x.database_specific?.ctrsafe_target).filter(Boolean)))
      targets[t!] = (targets[t!] ?? 0) + 1;
  const importedIds = new Set((store?.distro ?? []).map((s) => s.id));
  const sources = mergeDistroSources(builtin.distro, store?.distro ?? []).map((s) => ({
    id: s.id,
    publisher: s.publisher,
    origin: importedIds.has(s.id) ? 'imported' : 'built-in',
    date: s.date,
    records: s.fixes.length,
    license: s.license,
    revision: s.revision,
  }));
  return {
    location: dir,
    builtin: builtin.advisories.length,
    imported: store?.advisories.length ?? 0,
    unreviewed: all.filter((a) => a.ctrsafe.imported).length,
    total: all.length,
    newest_record: newest?.toISOString() ?? null,
    age_days: ageDays,
    stale: ageDays === null || ageDays > STALE_DAYS,
    by_target: targets,
    sources,
    imports: store?.meta.imports ?? [],
    problems: [...builtin.problems, ...(store?.problems ?? [])],
  };
}

const targetsOf = (a: Advisory) =>
  [
    ...new Set(
      a.affected.map((x) => `${x.database_specific?.ctrsafe_target ?? '?'} (${x.package.ecosystem})`),
    ),
  ].join(', ');

function listed(title: string, lines: string[]): string {
  if (lines.length === 0) return '';
  const shown = lines.slice(0, LISTED).map((l) => `  ${l}`);
  return `${title}\n${shown.join('\n')}${lines.length > LISTED ? `\n  ... ${lines.length - LISTED} more` : ''}\n`;
}

/** The operator's view of an import: counts, what is new and unreviewed (most severe first), what it replaces. */
function describe(plan: ImportPlan, from: string): string {
  const rank = { critical: 0, high: 1, medium: 2, low: 3 };
  const added = [...plan.added].sort(
    (a, b) => rank[a.ctrsafe.severity] - rank[b.ctrsafe.severity] || (a.id < b.id ? -1 : 1),
  );
  const bySeverity = Object.entries(
    added.reduce<Record<string, number>>(
      (m, a) => ((m[a.ctrsafe.severity] = (m[a.ctrsafe.severity] ?? 0) + 1), m),
      {},
    ),
  )
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  const rows = Object.entries(plan.distroRows)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return (
    `ctrsafe: ${plan.records} records read from ${from}: ${plan.added.length} new, ${plan.updated} updated, ${plan.unchanged} unchanged, ` +
    `${plan.skipped} not container-relevant, ${plan.covered.length} covered by reviewed records; distribution rows: ${rows || 'none'}\n` +
    listed(
      `UNREVIEWED: ${added.length} new record${added.length === 1 ? '' : 's'} (${bySeverity || 'none'}) that ctrsafe has not reviewed; their severity and ranges are the source's:`,
      added.map(
        (a) => `${a.id} ${a.ctrsafe.severity.toUpperCase()} ${targetsOf(a)}: ${a.summary.slice(0, 100)}`,
      ),
    ) +
    listed(
      `REPLACES ${plan.replacesShipped.length} shipped reviewed record(s) with the same id:`,
      plan.replacesShipped,
    ) +
    listed(`CHANGES ${plan.changesShippedRows.length} shipped distribution row(s):`, plan.changesShippedRows)
  );
}

/** The items as they come, each counted on the progress line, which is cleared when they end (or fail). */
async function* counted<T>(items: AsyncIterable<T>, progress: Progress): AsyncGenerator<T> {
  try {
    for await (const item of items) {
      progress.add(1);
      yield item;
    }
  } finally {
    progress.done();
  }
}

async function dbUpdate(
  dir: string,
  from: string,
  io: CliIo,
  now: Date,
  opts: { dryRun: boolean; replaceShipped: boolean; quiet: boolean },
): Promise<number> {
  // The directory first: one that others can write is refused before any input is read.
  if (!opts.dryRun) openDatabaseDir(dir).close();
  const builtin = loadBuiltinAdvisories();
  const store = readStore(dir);
  if (store?.problems.length)
    throw new InputError(`db update refused: the database in ${dir} cannot be used: ${store.problems[0]}`);
  let plan: ImportPlan;
  try {
    // A vendor export holds tens of thousands of records: the count and rate on a terminal while they are read.
    const progress = progressLine(io, `reading ${escapeControl(from)}`, null, {
      quiet: opts.quiet,
      unit: 'records',
    });
    plan = await planImport(counted(readImportInput(from), progress), {
      shipped: builtin.advisories,
      shippedDistro: builtin.distro,
      stored: { advisories: store?.advisories ?? [], distro: store?.distro ?? [] },
      from,
      now,
    });
  } catch (e) {
    if (e instanceof ImageFormatError)
      throw new InputError(`db update refused: ${from}: ${e.message}; the database is unchanged`);
    throw e;
  }
  if (plan.errors.length > 0) {
    const shown = plan.errors.slice(0, 5).map((e) => `  ${e}`);
    throw new InputError(
      `db update refused: ${plan.errors.length} malformed input${plan.errors.length === 1 ? '' : 's'}; the database is unchanged\n${shown.join('\n')}${plan.errors.length > 5 ? `\n  ... ${plan.errors.length - 5} more` : ''}`,
    );
  }
  io.stdout.write(describe(plan, from));
  const replacing = plan.replacesShipped.length + plan.changesShippedRows.length;
  if (replacing > 0 && !opts.replaceShipped)
    throw new InputError(
      `db update refused: the import would replace ${plan.replacesShipped.length} shipped record(s) and change ${plan.changesShippedRows.length} shipped distribution row(s) (listed above); review them and repeat with --replace-shipped to accept; the database is unchanged`,
    );
  if (opts.dryRun) {
    io.stdout.write('ctrsafe: --dry-run: nothing written\n');
    return 0;
  }
  const meta: StoreMeta = {
    schema: 'ctrsafe.advisory-store/2',
    updated_at: now.toISOString(),
    imports: [
      ...(store?.meta.imports ?? []),
      {
        at: now.toISOString(),
        from,
        added: plan.added.length,
        updated: plan.updated,
        unchanged: plan.unchanged,
        skipped: plan.skipped,
        covered: plan.covered.length,
        replaced: plan.replacesShipped,
        distro_rows: plan.distroRows,
      },
    ].slice(-50),
  };
  writeStore(dir, { advisories: plan.advisories, distro: plan.distro, meta });
  io.stdout.write(`ctrsafe: database ${dir} updated\n`);
  return 0;
}

function printStatus(s: ReturnType<typeof statusOf>, io: CliIo): void {
  io.stdout.write(
    `advisory database: ${s.total} advisories (${s.builtin} built in and reviewed, ${s.imported} imported into ${s.location}${s.unreviewed ? `, ${s.unreviewed} of them unreviewed` : ''})\n`,
  );
  io.stdout.write(
    `newest record: ${s.newest_record ?? 'none'}${s.age_days !== null ? ` (${s.age_days} days old)` : ''}${s.stale ? ` - STALE: older than ${STALE_DAYS} days, run ctrsafe db update` : ''}\n`,
  );
  io.stdout.write(
    `by target: ${Object.entries(s.by_target)
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}\n`,
  );
  io.stdout.write('distribution data:\n');
  for (const src of s.sources)
    io.stdout.write(
      `  ${src.id} (${src.origin}): ${src.records} rows, newest ${src.date}, ${src.publisher}, licence ${src.license}\n`,
    );
  for (const i of s.imports.slice(-5))
    io.stdout.write(
      `import ${i.at} from ${i.from}: ${i.added} added, ${i.updated} updated, ${i.unchanged} unchanged, ${i.skipped} skipped\n`,
    );
  for (const pr of s.problems) io.stdout.write(`problem: ${pr}\n`);
}

export function dbStatusCommand({ io, opts }: CommandContext, now = new Date()): number {
  const s = statusOf(opts.get('db') ?? defaultStoreDir(io.env), now);
  if ((opts.choice('format') ?? 'text') === 'json') io.stdout.write(JSON.stringify(s, null, 2) + '\n');
  else printStatus(s, io);
  return 0;
}

export async function dbUpdateCommand({ io, opts }: CommandContext, now = new Date()): Promise<number> {
  const from = opts.get('from');
  if (!from) throw new UsageError('db update needs --from PATH');
  return dbUpdate(opts.get('db') ?? defaultStoreDir(io.env), from, io, now, {
    dryRun: opts.has('dry-run'),
    replaceShipped: opts.has('replace-shipped'),
    quiet: opts.has('quiet'),
  });
}
