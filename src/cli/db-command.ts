// `ctrsafe db status` and `ctrsafe db update --from PATH`: the offline advisory database on an air-gapped cluster.
import {
  defaultStoreDir,
  ensureWritableDir,
  mergeAdvisories,
  newestRecordDate,
  readStore,
  writeStore,
  type StoreMeta,
} from '../advisories/advisory-store.js';
import type { Advisory } from '../advisories/advisory.js';
import { loadBuiltinAdvisories } from '../advisories/load-advisories.js';
import { importOsvRecord } from '../advisories/osv-import.js';
import { readOsvInput } from '../advisories/read-osv-input.js';
import { InputError, UsageError } from '../errors.js';
import type { CliIo } from './io.js';
import type { CommandContext } from './spec.js';

export const STALE_DAYS = 90;

function statusOf(dir: string, now: Date) {
  const builtin = loadBuiltinAdvisories();
  const store = readStore(dir);
  const all = mergeAdvisories(builtin.advisories, store?.advisories ?? []);
  const newest = newestRecordDate(all);
  const ageDays = newest ? Math.floor((now.getTime() - newest.getTime()) / 86400000) : null;
  const targets: Record<string, number> = {};
  for (const a of all)
    for (const t of new Set(a.affected.map((x) => x.database_specific?.ctrsafe_target).filter(Boolean)))
      targets[t!] = (targets[t!] ?? 0) + 1;
  return {
    location: dir,
    builtin: builtin.advisories.length,
    imported: store?.advisories.length ?? 0,
    total: all.length,
    newest_record: newest?.toISOString() ?? null,
    age_days: ageDays,
    stale: ageDays === null || ageDays > STALE_DAYS,
    by_target: targets,
    imports: store?.meta.imports ?? [],
    problems: [...builtin.problems, ...(store?.problems ?? [])],
  };
}

function dbUpdate(dir: string, from: string, io: CliIo, now: Date): number {
  const input = readOsvInput(from);
  const errors = [...input.errors];
  const imported: Advisory[] = [];
  let skipped = 0;
  for (const r of input.records) {
    const res = importOsvRecord(r.value, `imported from ${from}`);
    if (res.kind === 'advisory') imported.push(res.advisory);
    else if (res.kind === 'skipped') skipped++;
    else errors.push(`${r.where}: ${res.id}: ${res.reason}`);
  }
  if (errors.length > 0) {
    const shown = errors
      .slice(0, 5)
      .map((e) => `  ${e}`)
      .join('\n');
    throw new InputError(
      `db update refused: ${errors.length} malformed input${errors.length === 1 ? '' : 's'}; the database is unchanged\n${shown}${errors.length > 5 ? `\n  ... ${errors.length - 5} more` : ''}`,
    );
  }
  ensureWritableDir(dir);
  const store = readStore(dir);
  const before = new Map((store?.advisories ?? []).map((a) => [a.id, a]));
  let added = 0;
  let updated = 0;
  let unchanged = 0;
  for (const a of imported) {
    const old = before.get(a.id);
    if (!old) added++;
    else if (JSON.stringify(old) !== JSON.stringify(a)) updated++;
    else unchanged++;
    before.set(a.id, a);
  }
  const meta: StoreMeta = {
    schema: 'ctrsafe.advisory-store/1',
    updated_at: now.toISOString(),
    imports: [
      ...(store?.meta.imports ?? []),
      { at: now.toISOString(), from, added, updated, unchanged, skipped },
    ].slice(-50),
  };
  writeStore(dir, [...before.values()], meta);
  io.stdout.write(
    `ctrsafe: imported ${imported.length} records from ${from} into ${dir}: ${added} added, ${updated} updated, ${unchanged} unchanged, ${skipped} not container-relevant\n`,
  );
  return 0;
}

export function dbStatusCommand({ io, opts }: CommandContext, now = new Date()): number {
  const dir = opts.get('db') ?? defaultStoreDir(io.env);
  const s = statusOf(dir, now);
  if ((opts.choice('format') ?? 'text') === 'json') io.stdout.write(JSON.stringify(s, null, 2) + '\n');
  else {
    io.stdout.write(
      `advisory database: ${s.total} advisories (${s.builtin} built in, ${s.imported} imported into ${s.location})\n`,
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
    for (const i of s.imports.slice(-5))
      io.stdout.write(
        `import ${i.at} from ${i.from}: ${i.added} added, ${i.updated} updated, ${i.unchanged} unchanged, ${i.skipped} skipped\n`,
      );
    for (const pr of s.problems) io.stdout.write(`problem: ${pr}\n`);
  }
  return 0;
}

export function dbUpdateCommand({ io, opts }: CommandContext, now = new Date()): number {
  const from = opts.get('from');
  if (!from) throw new UsageError('db update needs --from PATH');
  return dbUpdate(opts.get('db') ?? defaultStoreDir(io.env), from, io, now);
}
