// When a collection (fleet collect over srun or pdsh) stops early: its timeout, or a signal to ctrsafe (Ctrl-C,
// systemd's stop, a hang-up), passed on to the launchers it started in sessions of their own.

/** Why a collection ended before its launchers did. */
export type Stopped = { by: 'timeout' } | { by: 'signal'; signal: NodeJS.Signals };

/** "at the timeout", "by SIGINT": how a summary line says it. */
export const stoppedText = (s: Stopped): string => (s.by === 'timeout' ? 'at the timeout' : `by ${s.signal}`);

/** The signals a collection is stopped by: the terminal's Ctrl-C, systemd's or a batch system's stop, a hang-up. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The least time between the first signal's SIGTERM and a second signal's SIGKILL. */
const SECOND_SIGNAL_GAP_MS = 2_000;

/**
 * Aborts `signal` at TIMEOUT_MS, or at the first SIGINT, SIGTERM or SIGHUP to ctrsafe: the launchers are then
 * stopped as at the timeout, and what the nodes sent so far is still stored. A second signal runs every launcher's
 * last resort (SIGKILL to it and what was found below it), at least 2 s after the first, and then ends ctrsafe by
 * that signal, whatever it is doing by then (storing included: the user asked twice). close() undoes the timeout
 * and the handlers, not an end a second signal has begun.
 */
export class CollectionStop {
  private readonly ctrl = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly handlers: [NodeJS.Signals, () => void][];
  private readonly lastResorts = new Set<() => void>();
  private by: NodeJS.Signals | undefined;
  private firstAt = 0;
  private ending = false;

  constructor(timeoutMs: number) {
    this.timer = setTimeout(() => this.ctrl.abort(), timeoutMs);
    this.handlers = STOP_SIGNALS.map((sig) => [sig, () => this.onSignal(sig)]);
    for (const [sig, h] of this.handlers) process.on(sig, h);
  }

  /** Aborts when the collection is stopped, whichever way. */
  get signal(): AbortSignal {
    return this.ctrl.signal;
  }

  /** How it was stopped, or null; a signal is named even when the timeout came first. */
  stopped(): Stopped | null {
    if (this.by) return { by: 'signal', signal: this.by };
    return this.ctrl.signal.aborted ? { by: 'timeout' } : null;
  }

  /** Registers a launcher's last resort for a second signal; returns what unregisters it. */
  readonly lastResort = (kill: () => void): (() => void) => {
    this.lastResorts.add(kill);
    return () => this.lastResorts.delete(kill);
  };

  close(): void {
    clearTimeout(this.timer);
    for (const [sig, h] of this.handlers) process.removeListener(sig, h);
  }

  private onSignal(sig: NodeJS.Signals): void {
    if (this.by === undefined) {
      this.by = sig;
      this.firstAt = Date.now();
      this.ctrl.abort();
      return;
    }
    if (this.ending) return;
    this.ending = true;
    // A second Ctrl-C right after the first still leaves srun a moment to cancel its job with slurmctld: a SIGKILL
    // microseconds after the SIGTERM would leave the job holding its nodes until its time limit.
    setTimeout(
      () => {
        for (const kill of this.lastResorts) kill();
        this.close();
        process.kill(process.pid, sig);
      },
      Math.max(0, this.firstAt + SECOND_SIGNAL_GAP_MS - Date.now()),
    );
  }
}
