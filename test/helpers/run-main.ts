// Runs ctrsafe's main in this process with captured streams: what a user would see, without a process start.
import { main } from '../../src/cli/main.js';
import { BIN } from './tree.js';

export interface MainRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runMain(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<MainRun> {
  let stdout = '';
  let stderr = '';
  const code = await main({
    argv,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env },
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s) },
    // The watchdog's child is the built bundle: this process is the test runner, not ctrsafe.
    self: [process.execPath, BIN],
  });
  return { code, stdout, stderr };
}
