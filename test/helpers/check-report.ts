// The report `ctrsafe check --root TREE` gives, made in this process: the CLI runs a check of a tree in a watchdog's
// child (a process start each), and the fleet tests need many real reports, not the watchdog. With every severity
// counted and nothing ignored, `--format json` prints exactly this report (evaluate/narrow-report.ts).
import { runCheck } from '../../src/cli/check-command.js';
import type { Report } from '../../src/evaluate/build-report.js';

export async function checkReport(root: string): Promise<Report> {
  return (await runCheck({ root })).report;
}

/** What `check --root TREE --format json` prints. */
export async function checkJson(root: string): Promise<string> {
  return `${JSON.stringify(await checkReport(root), null, 2)}\n`;
}
