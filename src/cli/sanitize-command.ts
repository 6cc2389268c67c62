// `ctrsafe image sanitize IN OUT.sqfs`: rebuild an image the Shifter way, audit the result, keep it only if clean.
import * as fs from 'node:fs';
import { auditImage } from '../image/audit-image.js';
import { loadPolicy } from '../image/image-policy.js';
import { buildSanitizedSquashfs } from '../image/sanitize/sanitize-image.js';
import { InputError, UsageError } from '../errors.js';
import type { CommandContext } from './spec.js';

export async function sanitizeCommand({ io, opts, args }: CommandContext): Promise<number> {
  const policyFile = opts.get('policy');
  const policy = policyFile ? loadPolicy(policyFile) : null;
  const [input, out] = args as [string, string];
  if (fs.existsSync(out)) throw new UsageError(`${out} exists; image sanitize never overwrites`);
  // Shifter: images owned by root, or by the importing user where the site says so (--owner UID:GID).
  const o = opts.get('owner') ?? '0:0';
  const m = /^(\d{1,10}):(\d{1,10})$/.exec(o);
  if (!m) throw new UsageError('--owner must be UID:GID');
  const tmp = `${out}.ctrsafe-${process.pid}.tmp`;
  try {
    const res = await buildSanitizedSquashfs(input, tmp, { uid: Number(m[1]), gid: Number(m[2]) });
    fs.chmodSync(tmp, 0o644);
    const audit = await auditImage(tmp, { policy });
    // The file's own owner is the caller's business (it is moved into place next); what is inside must be clean.
    const left = audit.findings.filter((f) => f.status === 'fail' && f.path !== null);
    if (left.length > 0 || audit.findings.some((f) => f.id === 'unreadable')) {
      throw new InputError(
        `image sanitize refused to write ${out}: its audit still finds ${left
          .map((f) => `${f.id} ${f.path}`)
          .slice(0, 5)
          .join(', ')}`,
      );
    }
    fs.renameSync(tmp, out);
    const s = res.stats;
    if (!opts.has('quiet'))
      io.stdout.write(
        `ctrsafe: wrote ${out}: ${s.members} members; cleared setuid/setgid on ${s.setidCleared}, dropped ${s.devicesDropped} device nodes, ${s.xattrsDropped} xattrs and ${s.linksDropped} escaping links, rewrote ${s.namesRewritten} unsafe names, fixed ${s.worldWritableFixed} world-writable modes; audit: ${audit.summary.fail} failed, ${audit.summary.warn} warnings\n`,
      );
    if (!opts.has('quiet')) for (const n of res.notes.slice(0, 20)) io.stdout.write(`  ${n}\n`);
    return 0;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
