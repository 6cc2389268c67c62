// The value lists of the host report (runtime ids, severities) and of the fleet's answers (runtime verdicts), apart
// from their declarations so that code that needs only a list loads no schema library (the check's start-up, the
// dashboard's script).
/** The host report's schema id: the document type and its major version. */
export const REPORT_SCHEMA = 'ctrsafe.report/1';

/** What the image audit judges each entry of an image for (the rest of the finding kinds are about the image). */
export const IMAGE_ENTRY_KINDS = [
  'setuid',
  'setgid',
  'file-capability',
  'xattr',
  'device',
  'world-writable',
  'foreign-owner',
  'absolute-symlink',
  'escaping-symlink',
  'escaping-hardlink',
  'unsafe-path',
  'duplicate-entry',
] as const;

/** The image report's schema id. */
export const IMAGE_SCHEMA = 'ctrsafe.image/1';

export const RUNTIME_IDS = [
  'singularity',
  'singularity-ce',
  'apptainer',
  'shifter',
  'charliecloud',
  'podman',
  'enroot',
  'sarus',
] as const;
export type RuntimeId = (typeof RUNTIME_IDS)[number];

/** A rule's severity, lowest first. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;

/**
 * The fleet's one word per runtime on a node, lowest first in the stacked bars (src/fleet/runtime-verdict.ts).
 * "ready": installed (or not said) and can run with at most medium risk; "degraded": can run, but at high or
 * critical risk; "blocked": cannot run; "unknown": ctrsafe could not decide whether it can run or how risky it is
 * (said as such, never folded into another word); "not-installed": the node said the runtime is absent (its
 * readiness is then only what a default install would be).
 */
export const RUNTIME_VERDICTS = ['ready', 'degraded', 'blocked', 'unknown', 'not-installed'] as const;
export type RuntimeVerdictWord = (typeof RUNTIME_VERDICTS)[number];

/** The built-in starting points an image is judged from (src/image/image-profile.ts). */
export const IMAGE_PROFILES = ['baseline', 'strict'] as const;
export type ImageProfile = (typeof IMAGE_PROFILES)[number];

/** SIF signatures a policy requires: trusted (only `verified` passes), any (complete and unchanged), none. */
export const REQUIRE_SIGNATURE = ['trusted', 'any', 'none'] as const;
export type RequireSignature = (typeof REQUIRE_SIGNATURE)[number];
