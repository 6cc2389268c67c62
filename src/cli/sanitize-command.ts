// `ctrsafe image sanitize IN OUT.sqfs`: rebuild an image the Shifter way, audit the result, keep it only if clean.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { descriptorPath, SafeDir } from '../host/safe-write.js';
import { auditImage } from '../image/audit-image.js';
import { loadPolicy } from '../image/image-policy.js';
import { buildSanitizedSquashfs } from '../image/sanitize/sanitize-image.js';
import { InputError, UsageError } from '../errors.js';
import { escapeControl } from '../render/terminal-text.js';
import { progressLine } from './progress.js';
import type { CommandContext } from './spec.js';

export async function sanitizeCommand({ io, opts, args }: CommandContext): Promise<number> {
  const policyFile = opts.get('policy');
  const policy = policyFile ? loadPolicy(policyFile) : null;
  const [input, out] = args as [string, string];
  // Shifter: images owned by root, or by the importing user where the site says so (--owner UID:GID).
  const o = opts.get('owner') ?? '0:0';
  const m = /^(\d{1,10}):(\d{1,10})$/.exec(o);
  if (!m) throw new UsageError('--owner must be UID:GID');
  // OUT's directory must be one nobody else can write, held by descriptor; tar2sqfs writes into a private
  // directory made there, the result is checked through its own descriptor and linked to OUT (never replacing
  // it): a link planted beside OUT, or swapped in while tar2sqfs writes, is never written through (issue 13).
  const outDir = SafeDir.open(path.dirname(path.resolve(out)));
  const name = path.basename(out);
  let work: SafeDir | null = null;
  let fd: number | null = null;
  try {
    if (fs.lstatSync(outDir.at(name), { throwIfNoEntry: false }))
      throw new UsageError(`${out} exists; image sanitize never overwrites`);
    work = outDir.privateSub('.ctrsafe-sanitize-');
    // The tar stream's length is not known before it ends: bytes, rate and time, not a percentage.
    const progress = progressLine(io, `sanitizing ${escapeControl(input)}`, null, {
      quiet: opts.has('quiet'),
    });
    const res = await buildSanitizedSquashfs(
      input,
      work.forChild('image.sqfs'),
      { uid: Number(m[1]), gid: Number(m[2]) },
      (n) => progress.add(n),
    ).finally(() => progress.done());
    fd = fs.openSync(work.at('image.sqfs'), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new InputError(`image sanitize: tar2sqfs left no image`);
    fs.fchmodSync(fd, 0o644);
    fs.fsyncSync(fd);
    const audit = await auditImage(descriptorPath(fd), {
      policy,
      source: { path: out, uid: st.uid, gid: st.gid, mode: 0o644, size: st.size },
    });
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
    try {
      // link(2) never replaces an existing name: OUT appears whole, or not at all.
      fs.linkSync(work.at('image.sqfs'), outDir.at(name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST')
        throw new UsageError(`${out} exists; image sanitize never overwrites`);
      throw e;
    }
    outDir.sync();
    const s = res.stats;
    if (!opts.has('quiet'))
      io.stdout.write(
        `ctrsafe: wrote ${out}: ${s.members} members; cleared setuid/setgid on ${s.setidCleared}, dropped ${s.devicesDropped} device nodes, ${s.xattrsDropped} xattrs and ${s.linksDropped} escaping links, rewrote ${s.namesRewritten} unsafe names, fixed ${s.worldWritableFixed} world-writable modes; audit: ${audit.summary.fail} failed, ${audit.summary.warn} warnings\n`,
      );
    // The notes name the image's members: its bytes, escaped.
    if (!opts.has('quiet'))
      for (const n of res.notes.slice(0, 20)) io.stdout.write(`  ${escapeControl(n)}\n`);
    return 0;
  } finally {
    if (fd !== null) fs.closeSync(fd);
    if (work) {
      outDir.remove(path.basename(work.path));
      work.close();
    }
    outDir.close();
  }
}
