// The value lists of the host report (runtime ids, severities), apart from its declarations so that code that
// needs only a list loads no schema library (the check's start-up).
/** The host report's schema id: the document type and its major version. */
export const REPORT_SCHEMA = 'ctrsafe.report/1';

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
