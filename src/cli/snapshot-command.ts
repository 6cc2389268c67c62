// `ctrsafe snapshot -o DIR`: copies what `check` reads on this live host, plus probe results, for `check --root DIR`.
import { UsageError } from '../errors.js';
import { writeSnapshot } from '../snapshot/write-snapshot.js';
import { toolVersion } from '../tool-version.js';
import { runCheck } from './check-command.js';
import type { CommandContext } from './spec.js';

export async function snapshotCommand({ io, opts }: CommandContext): Promise<number> {
  const out = opts.get('output');
  if (!out) throw new UsageError('snapshot needs -o DIR');
  const asUser = opts.get('as-user');
  const probeTimeoutMs = opts.int('probe-timeout', 60000);
  const { collected, root } = await runCheck({
    ...(asUser !== undefined ? { asUser } : {}),
    ...(probeTimeoutMs ? { probeTimeoutMs } : {}),
    env: io.env,
  });
  const s = writeSnapshot(root, collected, out, { version: toolVersion(), now: new Date() });
  io.stdout.write(
    `ctrsafe: snapshot written to ${out}: ${s.files} files, ${s.placeholders} placeholders, ${s.manifestEntries} modes recorded\n`,
  );
  return 0;
}
