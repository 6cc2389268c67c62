// The image gate for job prologs: the image policy's failures refuse the image; verdicts are cached by digest.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { InputError } from '../errors.js';
import { auditImage } from '../image/audit-image.js';
import { DEFAULT_LIMITS } from '../image/image-entry.js';
import { loadPolicy } from '../image/image-policy.js';
import type { Keyring } from '../image/sif/keyring.js';
import type { RequireSignature } from '../image/signature-findings.js';
import { toolVersion } from '../tool-version.js';
import { defaultCacheDir, fileIdentity, ImageVerdictCache } from './image-verdict-cache.js';

export interface ImageGateResult {
  schema: 'ctrsafe.image-gate/1';
  image: string;
  digest: string;
  pass: boolean;
  line: string;
  /** Where the verdict came from: this run's audit, or the cache (same digest, policy and ctrsafe version). */
  source: 'audit' | 'cache';
  cache: string | null;
}

export async function gateImage(
  image: string,
  opts: {
    policyFile: string | null;
    cacheDir: string | null;
    env: NodeJS.ProcessEnv;
    timeoutMs: number;
    /** The keys the site trusts to sign SIFs (their content is part of the cache key). */
    keyring?: Keyring | null;
    /** The gate policy's own signature requirement. */
    requireSignature?: { level: RequireSignature; source: string };
  },
): Promise<ImageGateResult> {
  let st: fs.Stats;
  try {
    st = fs.statSync(image);
  } catch (e) {
    throw new InputError(
      `${image}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (e as Error).message}`,
    );
  }
  if (!st.isFile() && !st.isDirectory()) throw new InputError(`${image}: not a file or directory`);
  const policy = opts.policyFile ? loadPolicy(opts.policyFile) : null;
  const policyText = opts.policyFile ? fs.readFileSync(opts.policyFile, 'utf8') : '';
  // A directory has no single digest to key on: it is audited every time.
  const cacheDir = st.isFile() ? (opts.cacheDir ?? defaultCacheDir(opts.env)) : null;
  const cache = cacheDir
    ? new ImageVerdictCache(
        cacheDir,
        // A new policy, keyring, signature requirement or ctrsafe judges again: adding or removing a trusted key
        // changes the verdicts it would give.
        createHash('sha256')
          .update(
            `${toolVersion()}\n${policyText}\n${opts.requireSignature?.level ?? 'none'}\n${opts.keyring?.digest ?? 'no keyring'}`,
          )
          .digest('hex'),
      )
    : null;
  const identityBefore = fileIdentity(image);
  const digest = cache ? (await cache.digestOf(image)).digest : 'directory';
  const hit = cache?.get(digest);
  const base = {
    schema: 'ctrsafe.image-gate/1' as const,
    image,
    digest,
    cache: cache?.enabled ? cacheDir : null,
  };
  if (hit) return { ...base, pass: hit.pass, line: hit.line, source: 'cache' };
  const report = await auditImage(image, {
    policy,
    limits: { ...DEFAULT_LIMITS, deadlineMs: opts.timeoutMs },
    keyring: opts.keyring ?? null,
    ...(opts.requireSignature ? { requireSignature: opts.requireSignature } : {}),
  });
  const failed = report.findings.filter((f) => f.status === 'fail');
  const first = failed[0];
  const line = first
    ? `ctrsafe: image refused: ${first.id}${first.path ? ` ${first.path}` : ''}: ${first.evidence}${failed.length > 1 ? ` (+${failed.length - 1} more)` : ''}`
        .replace(/[^\x20-\x7e]/g, '?')
        .slice(0, 300)
    : `ctrsafe: image accepted (${report.image.format}, ${report.image.entries} entries, ${digest.slice(0, 19)})`;
  // The bytes hashed and the bytes audited must be the same file, unchanged: a file swapped or rewritten while it
  // was judged could otherwise plant the verdict of one image under the digest of another.
  if (fileIdentity(image) !== identityBefore)
    return {
      ...base,
      pass: false,
      line: 'ctrsafe: image refused: it changed while it was being judged',
      source: 'audit',
    };
  const pass = failed.length === 0;
  // Only a complete verdict is kept: an image that could not be read (or not in time) is judged again next time.
  if (cache && !report.findings.some((f) => f.id === 'unreadable'))
    cache.put({ digest, pass, line, at: new Date().toISOString() });
  return { ...base, pass, line, source: 'audit' };
}
