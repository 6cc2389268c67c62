// Starts bwrap and stays beside it: signals sent to ctrsafe reach the command inside (bwrap's own init does not
// forward them), and the command's exit status comes back as ctrsafe's.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { LaunchPlan } from './build-bwrap-argv.js';

const FORWARDED: NodeJS.Signals[] = [
  'SIGTERM',
  'SIGINT',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGCONT',
];

/** The sandbox init's children (the command), from /proc: CONFIG_PROC_CHILDREN where present, else by ppid. */
function childrenOf(pid: number): number[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    const out: number[] = [];
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
      } catch {
        // gone
      }
    }
    return out;
  }
}

/** Runs the plan; resolves to the exit code (128 + signal number for a command killed by a signal, as shells do). */
export function launch(bwrap: string, plan: LaunchPlan, interactive: boolean): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(bwrap, ['--info-fd', '3', ...plan.argv], {
      env: plan.env,
      // Batch use: bwrap gets its own process group, so a signal for ctrsafe is not also delivered to bwrap (which
      // would die and take the command with it before its handler ran); ctrsafe forwards it to the command.
      // Interactive use keeps the terminal's process group, so the shell inside has job control.
      stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
      detached: !interactive,
    });
    let initPid: number | null = null;
    let info = '';
    const infoStream = child.stdio[3] as NodeJS.ReadableStream;
    infoStream.setEncoding('utf8');
    infoStream.on('data', (c: string) => {
      if (info.length < 4096) info += c; // bwrap writes one small JSON object
      const m = /"child-pid"\s*:\s*(\d+)/.exec(info);
      if (m) initPid = Number(m[1]);
    });
    const forward = (sig: NodeJS.Signals) => {
      const targets = initPid ? childrenOf(initPid) : [];
      for (const pid of targets.length ? targets : child.pid ? [child.pid] : []) {
        try {
          process.kill(pid, sig);
        } catch {
          // already gone
        }
      }
    };
    for (const s of FORWARDED) process.on(s, forward);
    child.on('error', (e) => {
      process.stderr.write(`ctrsafe: bwrap could not be started: ${e.message}\n`);
      resolve(127);
    });
    child.on('close', (code, signal) => {
      for (const s of FORWARDED) process.off(s, forward);
      resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 1) : 1));
    });
  });
}
