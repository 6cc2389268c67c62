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

/** A run's stdout as JSON, or an error that shows what came out instead (for runMainJson and run-cli's runJson). */
export function jsonOf(r: { code: number | null; stdout: string; stderr: string }): Record<string, unknown> {
  try {
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout.slice(0, 300)} ${r.stderr.slice(0, 300)}`);
  }
}

/** runMain with `--format json` appended, its stdout parsed (as run-cli.ts's runJson does for the bundle). */
export async function runMainJson(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> {
  const r = await runMain([...args, '--format', 'json'], env);
  return { code: r.code, json: jsonOf(r), stderr: r.stderr };
}
