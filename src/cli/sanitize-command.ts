// `ctrsafe image sanitize IN OUT.sqfs` (placeholder until the tar rewriter lands).
import { UsageError } from '../errors.js';
import type { CliIo } from './io.js';

export async function sanitizeCommand(args: string[], _io: CliIo): Promise<number> {
  if (args.length !== 2) throw new UsageError('image sanitize needs IN and OUT.sqfs');
  throw new UsageError('image sanitize is not available yet');
}
