// The image gate for job prologs: the image policy's failures refuse the image; verdicts are cached by digest.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { InputError } from '../errors.js';
import { auditImage } from '../image/audit-image.js';
import { openImageFile, privateCopy, sha256Fd, type ImageBytes } from '../image/image-bytes.js';
import { DEFAULT_LIMITS } from '../image/image-entry.js';
import { loadPolicy } from '../image/image-policy.js';
import type { Keyring } from '../image/sif/keyring.js';
import type { RequireSignature } from '../image/signature-findings.js';
import { asciiLine } from '../render/terminal-text.js';
import { toolVersion } from '../tool-version.js';
import { defaultCacheDir, ImageVerdictCache } from './image-verdict-cache.js';

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

export interface GateImageOptions {
  policyFile: string | null;
  cacheDir: string | null;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /**
   * The bytes to judge, already opened by the caller (run launches exactly these). Without them the gate opens
   * the image itself: a cached verdict costs one read to hash it; a new one is judged from a private copy.
   */
  bytes?: ImageBytes;
  /** The keys the site trusts to sign SIFs (their content is part of the cache key). */
  keyring?: Keyring | null;
  /** The gate policy's own signature requirement. */
  requireSignature?: { level: RequireSignature; source: string };
}

function imageLine(
  failed: { id: string; path: string | null; evidence: string }[],
  format: string,
  entries: number,
  digest: string,
): string {
  const first = failed[0];
  return first
    ? asciiLine(
        `ctrsafe: image refused: ${first.id}${first.path ? ` ${first.path}` : ''}: ${first.evidence}${failed.length > 1 ? ` (+${failed.length - 1} more)` : ''}`,
        300,
      )
    : `ctrsafe: image accepted (${format}, ${entries} entries, ${digest.slice(0, 19)})`;
}

export async function gateImage(image: string, opts: GateImageOptions): Promise<ImageGateResult> {
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
  const audit = (file: string, bytes: ImageBytes | null) =>
    auditImage(file, {
      policy,
      limits: { ...DEFAULT_LIMITS, deadlineMs: opts.timeoutMs },
      ...(bytes ? { source: bytes.source } : {}),
      // Signatures are verified over the same bytes the audit reads (bytes.path is the judged copy).
      keyring: opts.keyring ?? null,
      ...(opts.requireSignature ? { requireSignature: opts.requireSignature } : {}),
    });
  const base = { schema: 'ctrsafe.image-gate/1' as const, image };

  // A directory has no single digest to key on: it is audited every time.
  if (!opts.bytes && st.isDirectory()) {
    const report = await audit(image, null);
    const failed = report.findings.filter((f) => f.status === 'fail');
    return {
      ...base,
      digest: 'directory',
      cache: null,
      pass: failed.length === 0,
      line: imageLine(failed, report.image.format, report.image.entries, 'directory'),
      source: 'audit',
    };
  }

  const cacheDir = opts.cacheDir ?? defaultCacheDir(opts.env);
  const cache = new ImageVerdictCache(
    cacheDir,
    // A new policy, keyring, signature requirement or ctrsafe judges again: adding or removing a trusted key
    // changes the verdicts it would give.
    createHash('sha256')
      .update(
        `${toolVersion()}\n${policyText}\n${opts.requireSignature?.level ?? 'none'}\n${opts.keyring?.digest ?? 'no keyring'}`,
      )
      .digest('hex'),
  );
  let bytes = opts.bytes ?? null;
  let opened: ReturnType<typeof openImageFile> | null = null;
  try {
    if (!bytes) {
      opened = openImageFile(image);
      // A verdict is looked up by the digest of the bytes read now: it was cached for bytes with that digest,
      // which were audited. File identity (device, inode, times) is never taken for content: a writer through a
      // shared mapping changes bytes without changing it.
      if (cache.enabled) {
        const digest = await sha256Fd(opened.fd);
        const hit = cache.get(digest);
        if (hit) return { ...base, digest, cache: cacheDir, pass: hit.pass, line: hit.line, source: 'cache' };
      }
      // Not known: judged from a private copy, so the digest and the audit read the same bytes.
      bytes = await privateCopy(opened, cache.workDir);
    }
    const hit = cache.get(bytes.digest);
    if (hit)
      return {
        ...base,
        digest: bytes.digest,
        cache: cacheDir,
        pass: hit.pass,
        line: hit.line,
        source: 'cache',
      };
    const report = await audit(bytes.path, bytes);
    const failed = report.findings.filter((f) => f.status === 'fail');
    const pass = failed.length === 0;
    const line = imageLine(failed, report.image.format, report.image.entries, bytes.digest);
    // Only a complete verdict is kept: an image that could not be read (or not in time) is judged again next time.
    if (!report.findings.some((f) => f.id === 'unreadable'))
      cache.put({ digest: bytes.digest, pass, line, at: new Date().toISOString() });
    return {
      ...base,
      digest: bytes.digest,
      cache: cache.enabled ? cacheDir : null,
      pass,
      line,
      source: 'audit',
    };
  } finally {
    if (opened) fs.closeSync(opened.fd);
    if (bytes && bytes !== opts.bytes) bytes.close();
    cache.close();
  }
}
