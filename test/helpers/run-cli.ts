// Runs the real ctrsafe bin in a child process and captures what a user would see.
import { spawnSync } from 'node:child_process';
import { jsonOf } from './run-main.js';
import { BIN } from './tree.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string> = {}): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeout: 60000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function runJson(args: string[]): {
  code: number | null;
  json: Record<string, unknown>;
  stderr: string;
} {
  const r = runCli([...args, '--format', 'json']);
  return { code: r.code, json: jsonOf(r), stderr: r.stderr };
}
