// What one live probe reports: raw key=value lines from a child process, kept verbatim for snapshots (a fact's
// raw material, so the snapshot writer in host/ and the probes share it from the core).

export interface ProbeResult {
  /** False when the probe could not be started (helper missing, not the live host, timed out). */
  ran: boolean;
  /** Which helper ran it, e.g. "perl syscall prctl" or "unshare -U -r -m". */
  method: string;
  /** The user the probe ran as. */
  user: string;
  /** key=value pairs printed by the probe script. */
  values: Record<string, string>;
  exitCode: number | null;
  /** First line of stderr, for evidence. */
  stderr: string;
  /** Why it did not run or did not finish. */
  error?: string;
}
