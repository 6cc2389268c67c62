// What a command needs from its process: argv, environment, output streams. Passed in, so tests run commands in-process.

export interface CliIo {
  argv: string[];
  env: NodeJS.ProcessEnv;
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  /** How to start this same ctrsafe again (the watchdog's child): the bin's own argv by default. */
  self?: string[];
}
