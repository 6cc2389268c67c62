// One advisory's verdict for one thing installed on a host, and how the matchers build it.
import type { Advisory } from './advisory.js';
import type { Verdict } from './decide-distro.js';

/** affected / fixed (at or past the fix) / not-affected (never had the flaw) / unknown (a datum is missing). */
export type MatchStatus = Verdict;

export interface Match {
  advisory: Advisory;
  target: string;
  /** Human description of what is installed. */
  installed: string;
  /** What decided: "Debian:12/libpod", "AlmaLinux:9/kernel", "Go/github.com/apptainer/apptainer", "Linux/Kernel". */
  package: string;
  installed_version: string | null;
  fixed_version: string | null;
  status: MatchStatus;
  reason: string;
  /** The distribution's advisory id (RHSA/ALSA/RLSA/DSA/DLA/USN/SUSE-SU) when a distribution record decided. */
  distro_advisory: string | null;
  /** The data that decided, with its publisher, repository and revision. */
  decided_by: string;
  /** The date of that data (the record's, or its source's). */
  source_date: string | null;
}

export interface Decided {
  by: string;
  date: string | null;
  advisory?: string | null;
}

/** The verdicts of one advisory for one target; `record` is what decides when the advisory's own ranges do. */
export function matchMaker(
  adv: Advisory,
  target: string,
  describe: (installed: string | null) => string,
  record: Decided,
) {
  return (
    status: MatchStatus,
    reason: string,
    pkg: string,
    installed: string | null,
    fixed: string | null,
    decided: Decided = record,
  ): Match => ({
    advisory: adv,
    target,
    installed: describe(installed),
    package: pkg,
    installed_version: installed,
    fixed_version: fixed,
    status,
    reason,
    distro_advisory: decided.advisory ?? null,
    decided_by: decided.by,
    source_date: decided.date,
  });
}
