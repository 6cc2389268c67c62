// The image report, ctrsafe.image/1 (`ctrsafe image audit --format json`), declared once: its TypeScript types and
// its published JSON Schema (docs/schema/ctrsafe.image-1.json) come from these declarations (TypeBox, issue 17).
import { Type, type Static } from 'typebox';
import { Enum, Nullable } from './kinds.js';
import { IMAGE_ENTRY_KINDS, IMAGE_SCHEMA } from './report-values.js';

/** The version of this document: bump it (and add a CHANGELOG line) whenever a declaration below changes. */
export const IMAGE_REPORT_VERSION = '1.0.0';

const ObjectId = Type.Integer({ minimum: 0 });

export const ImageFormat = Enum([
  'directory',
  'oci-layout',
  'sif',
  'squashfs',
  'ext',
  'tar',
  'gzip',
  'xz',
  'zstd',
  'bzip2',
  'unknown',
]);
export type ImageFormat = Static<typeof ImageFormat>;

export const FindingKind = Enum([
  ...IMAGE_ENTRY_KINDS,
  'deleted-in-upper-layer',
  'image-writable',
  'image-owner',
  'unsigned-sif',
  'sif-signed-partially',
  'sif-untrusted-key',
  'sif-signature-invalid',
  'unsigned-image',
  'encrypted-partition',
  'ambiguous-sif',
  'unreadable',
]);
export type FindingKind = Static<typeof FindingKind>;

export const ImageFinding = Type.Object({
  id: FindingKind,
  severity: Enum(['info', 'low', 'medium', 'high', 'critical']),
  status: Enum(['fail', 'warn', 'pass']),
  /** For findings about a device node: its type and numbers, which the baseline profile judges by. */
  device: Type.Optional(
    Type.Object({
      type: Enum(['char', 'block']),
      major: Nullable(Type.Integer({ minimum: 0 })),
      minor: Nullable(Type.Integer({ minimum: 0 })),
    }),
  ),
  /** Path inside the image, or null for findings about the image file itself. */
  path: Nullable(Type.String()),
  evidence: Type.String(),
});
export type ImageFinding = Static<typeof ImageFinding>;

export const SignatureVerdict = Enum([
  'verified',
  'signed-untrusted-key',
  'signed-partially',
  'signature-invalid',
  'unsigned',
]);
export type SignatureVerdict = Static<typeof SignatureVerdict>;

export const SignerKey = Type.Object({
  /** OpenPGP: 40 hex digits; PEM keys: "SHA256:<base64>" as `ssh-keygen -l` and DSSE key IDs write it. */
  fingerprint: Type.String(),
  kind: Enum(['openpgp', 'ed25519', 'rsa', 'ecdsa', 'unknown']),
  /** Whether the key is in the keyring given, and verified the signature. */
  trusted: Type.Boolean(),
  user_id: Type.Optional(Type.String()),
  /** The keyring file it came from. */
  file: Type.Optional(Type.String()),
});
export type SignerKey = Static<typeof SignerKey>;

export const SignatureCheck = Type.Object({
  /** The signature object's ID. */
  object: ObjectId,
  format: Enum(['pgp', 'dsse', 'unknown']),
  legacy: Type.Boolean(),
  /** "group 1", "object 2", or null when it links to nothing. */
  target: Nullable(Type.String()),
  /** Object IDs the signed metadata lists (for a signature that holds: the objects it covers). */
  covers: Type.Array(ObjectId),
  /**
   * valid: verifies with a trusted key and every digest matches; untrusted-key: digests match but no trusted key
   * verifies it; invalid: a digest or the signature does not match; ignored: not considered (legacy, linked to no
   * group, to an empty group, or to a single object).
   */
  status: Enum(['valid', 'untrusted-key', 'invalid', 'ignored']),
  keys: Type.Array(SignerKey),
  /** OpenPGP signature creation time (ISO 8601); DSSE envelopes carry none. */
  signed_at: Nullable(Type.String()),
  detail: Type.String(),
});
export type SignatureCheck = Static<typeof SignatureCheck>;

export const SignatureReport = Type.Object({
  verdict: SignatureVerdict,
  /** One line: why this verdict. */
  reason: Type.String(),
  /** Signing keys over all signatures, trusted ones first. */
  keys: Type.Array(SignerKey),
  /** The newest signing time among the signatures that hold, or null (DSSE, or none holds). */
  signed_at: Nullable(Type.String()),
  /** Objects covered by signatures whose digests match. */
  covered: Type.Array(ObjectId),
  /** Non-signature objects no signature covers as `apptainer verify` requires. */
  uncovered: Type.Array(ObjectId),
  signatures: Type.Array(SignatureCheck),
  /** The keyring the keys were checked against: its sources and content digest, or null when none was given. */
  keyring: Nullable(Type.Object({ sources: Type.Array(Type.String()), digest: Type.String() })),
});
export type SignatureReport = Static<typeof SignatureReport>;

export const ImageReport = Type.Object(
  {
    schema: Type.Literal(IMAGE_SCHEMA),
    image: Type.Object({
      path: Type.String(),
      format: ImageFormat,
      format_evidence: Type.String(),
      size: Nullable(Type.Integer({ minimum: 0 })),
      entries: Type.Integer({ minimum: 0 }),
      layers: Type.Optional(Type.Integer({ minimum: 0 })),
      /**
       * SIF only: the signatures verified against the keyring (null when they could not be read). Replaces the
       * `signed` boolean of earlier versions, which said a signature object existed, not that it was valid.
       */
      signature: Type.Optional(Nullable(SignatureReport)),
    }),
    /** The built-in starting point the findings were judged from, before the site's policy. */
    profile: Enum(['baseline', 'strict']),
    findings: Type.Array(ImageFinding),
    summary: Type.Object({
      fail: Type.Integer({ minimum: 0 }),
      warn: Type.Integer({ minimum: 0 }),
      pass: Type.Integer({ minimum: 0 }),
    }),
  },
  {
    title: 'ctrsafe image report',
    description: 'What `ctrsafe image audit --format json` writes: one image, judged without mounting it.',
  },
);
export type ImageReport = Static<typeof ImageReport>;
