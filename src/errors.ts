// Every error class ctrsafe throws, with the exit code the bin entry point turns it into.

/** Exit codes are part of the contract documented in README.md ("Exit codes"). */
export const EXIT = {
  ok: 0,
  failOn: 1,
  usage: 2,
  hostUnreadable: 3,
  inputInvalid: 4,
  internal: 70,
} as const;

export class CtrsafeError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad command line: unknown flag, missing value, unknown rule id. */
export class UsageError extends CtrsafeError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** The host root cannot be read at all (missing --root, not a directory). */
export class HostRootError extends CtrsafeError {
  constructor(message: string) {
    super(message, EXIT.hostUnreadable);
  }
}

/** An input file (snapshot manifest, policy, profile) is malformed. */
export class InputError extends CtrsafeError {
  constructor(message: string) {
    super(message, EXIT.inputInvalid);
  }
}

/** One line for the user; never a stack trace. */
export function describeError(err: unknown): { message: string; exitCode: number } {
  if (err instanceof CtrsafeError) return { message: err.message, exitCode: err.exitCode };
  const message = err instanceof Error ? err.message : String(err);
  return { message: `internal error: ${message.split('\n')[0]}`, exitCode: EXIT.internal };
}
