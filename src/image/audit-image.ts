// Audits one image: detects its format, streams its entries through the auditor, judges the image file itself.
import * as fs from 'node:fs';
import { ENTRY_KINDS, EntryAuditor, finding, type FindingKind, type ImageFinding } from './audit-entries.js';
import { detectFormat } from './detect-format.js';
import { DEFAULT_LIMITS, ImageFormatError, type ReadLimits } from './image-entry.js';
import { applyPolicy, type ImagePolicy } from './image-policy.js';
import type { ImageProfile } from './image-profile.js';
import type { SourceFile } from './image-bytes.js';
import { openImageEntries } from './image-readers.js';
import type { Keyring } from './sif/keyring.js';
import type { SignatureReport } from './sif/signature-verdict.js';
import { verifySif } from './sif/verify-sif.js';
import type { ImageReport } from '../schema/image-report.js';
import { IMAGE_SCHEMA } from '../schema/report-values.js';
import {
  enforceSignature,
  REQUIRE_SIGNATURE,
  signatureFindings,
  type RequireSignature,
} from './signature-findings.js';

export { IMAGE_SCHEMA };
export type { ImageReport };

export interface AuditOptions {
  limits?: ReadLimits;
  policy?: ImagePolicy | null;
  /** The keys the site trusts to sign SIFs; without one every signed SIF is at best signed-untrusted-key. */
  keyring?: Keyring | null;
  /** A signature requirement on top of the policy's (the stricter of the two applies): the gate's own. */
  requireSignature?: { level: RequireSignature; source: string };
  now?: Date;
  /** The built-in starting point (image-profile.ts): this, else the policy's, else baseline. */
  profile?: ImageProfile;
  /** Called now and then with the number of entries read, for a progress line. */
  onProgress?: (entries: number) => void;
  /**
   * When FILE is a private copy (or a descriptor's name) of an image: the image as it was opened, whose owner,
   * mode and name the report gives.
   */
  source?: SourceFile;
}

/** The image file itself: who may write it and who owns it (Shifter: images must never be writable by users). */
function fileFindings(file: string, st: { mode: number; uid: number }): ImageFinding[] {
  const out: ImageFinding[] = [];
  const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
  if ((st.mode & 0o022) !== 0)
    out.push(
      finding(
        'image-writable',
        null,
        `${file} has mode ${mode}: ${st.mode & 0o002 ? 'anyone' : 'its group'} can rewrite it between audit and use`,
      ),
    );
  if (st.uid !== 0)
    out.push(
      finding('image-owner', null, `${file} is owned by uid ${st.uid}, a user rather than the site (root)`),
    );
  return out;
}

/** The stricter of the policy's signature requirement and the caller's, with where it comes from. */
export function signatureRequirement(opts: AuditOptions): { level: RequireSignature; source: string } {
  const rank = (r: RequireSignature) => REQUIRE_SIGNATURE.indexOf(r);
  const fromPolicy = {
    level: opts.policy?.requireSignature ?? 'none',
    source: `policy ${opts.policy?.source}`,
  };
  const extra = opts.requireSignature;
  return extra && rank(extra.level) < rank(fromPolicy.level) ? extra : fromPolicy;
}

export async function auditImage(file: string, opts: AuditOptions = {}): Promise<ImageReport> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const profile = opts.profile ?? opts.policy?.profile ?? 'baseline';
  const { format, evidence } = detectFormat(file);
  const auditor = new EntryAuditor();
  const extra: ImageFinding[] = [];
  const checked: FindingKind[] = [...ENTRY_KINDS];
  let layers: number | undefined;
  let signature: SignatureReport | null | undefined;
  const deadline = Date.now() + limits.deadlineMs;
  try {
    const opened = await openImageEntries(file, format, limits);
    layers = opened.layers;
    extra.push(...opened.findings);
    let n = 0;
    for await (const e of opened.entries) {
      auditor.add(e);
      if (++n % 5000 === 0) {
        opts.onProgress?.(n);
        if (Date.now() > deadline)
          throw new ImageFormatError(`reading took longer than ${limits.deadlineMs} ms`);
      }
    }
    extra.push(...(opened.afterward?.() ?? []));
  } catch (e) {
    if (!(e instanceof ImageFormatError)) throw e;
    extra.push(finding('unreadable', null, `${e.message} (after ${auditor.count} entries)`));
  }
  if (format === 'sif') {
    try {
      signature = await verifySif(file, { keyring: opts.keyring ?? null, deadline });
      extra.push(...signatureFindings(signature));
    } catch (e) {
      if (!(e instanceof ImageFormatError)) throw e;
      signature = null;
      extra.push(finding('unreadable', null, `signatures not verified: ${e.message}`));
    }
  }
  const shown = opts.source?.path ?? file;
  const all = [...auditor.findings, ...extra, ...fileFindings(shown, opts.source ?? fs.statSync(file))];
  const judged = enforceSignature(
    applyPolicy([...all, ...auditor.passes(checked)], opts.policy ?? null, opts.now ?? new Date(), profile),
    signature ?? null,
    format,
    signatureRequirement(opts),
  );
  return {
    schema: IMAGE_SCHEMA,
    profile,
    image: {
      path: shown,
      format,
      format_evidence: evidence,
      size: format === 'directory' || format === 'oci-layout' ? null : fs.statSync(file).size,
      entries: auditor.count,
      ...(layers !== undefined ? { layers } : {}),
      ...(signature !== undefined ? { signature } : {}),
    },
    findings: judged,
    summary: {
      fail: judged.filter((f) => f.status === 'fail').length,
      warn: judged.filter((f) => f.status === 'warn').length,
      pass: judged.filter((f) => f.status === 'pass').length,
    },
  };
}
