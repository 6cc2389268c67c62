// What a command needs from its process: argv, environment, output streams. Passed in, so tests run commands in-process.

export interface CliIo {
  argv: string[];
  env: NodeJS.ProcessEnv;
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown };
}
