// The processes a launcher started, from /proc, to stop them when it is stopped: pdsh starts each remote command in
// a session of its own (setsid), so a signal to pdsh's process group does not reach them.
import * as fs from 'node:fs';

/** A process, with its start time (clock ticks after boot): a pid reused by another process has another. */
export interface ProcessRef {
  pid: number;
  start: string;
}

/** PID's parent, process group and start time from /proc/PID/stat; undefined when it is gone or unreadable. */
function statOf(pid: number): { ppid: number; pgrp: number; start: string } | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(f[1]);
  const pgrp = Number(f[2]);
  const start = f[19];
  return Number.isInteger(ppid) && Number.isInteger(pgrp) && start !== undefined
    ? { ppid, pgrp, start }
    : undefined;
}

interface ProcessTable {
  children: Map<number, ProcessRef[]>;
  groups: Map<number, ProcessRef[]>;
}

/**
 * Every process's children and every process group's members, from one pass over /proc (as many entries as the
 * kernel's pid_max allows at most). It is kept until the event loop turns: the sruns of one collection, stopped
 * together, share one pass.
 */
let table: ProcessTable | undefined;
function processTable(): ProcessTable {
  if (table) return table;
  const children = new Map<number, ProcessRef[]>();
  const groups = new Map<number, ProcessRef[]>();
  const add = (m: Map<number, ProcessRef[]>, k: number, p: ProcessRef) => {
    const list = m.get(k);
    if (list) list.push(p);
    else m.set(k, [p]);
  };
  let names: string[] = [];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    // No /proc: nothing can be found below the launcher; its process group is still signalled.
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const s = statOf(pid);
    if (s === undefined) continue;
    add(children, s.ppid, { pid, start: s.start });
    add(groups, s.pgrp, { pid, start: s.start });
  }
  table = { children, groups };
  setImmediate(() => (table = undefined));
  return table;
}

/** ROOT's descendants, children before grandchildren (ROOT itself not included); [] where /proc cannot be read. */
export function descendantsOf(root: number): ProcessRef[] {
  const { children } = processTable();
  const out: ProcessRef[] = [];
  const seen = new Set<number>([root]);
  for (let queue = [root]; queue.length > 0;) {
    const next: number[] = [];
    for (const p of queue)
      for (const c of children.get(p) ?? [])
        if (!seen.has(c.pid)) {
          seen.add(c.pid);
          out.push(c);
          next.push(c.pid);
        }
    queue = next;
  }
  return out;
}

/**
 * The members of process group PGID now: once its leader has exited and been reaped, its number may be reused by
 * a new session, so a later signal goes to these very processes (signalIfSame), never to "-PGID".
 */
export function groupMembers(pgid: number): ProcessRef[] {
  return [...(processTable().groups.get(pgid) ?? [])];
}

/** Sends SIG to P if it is still the process that was found (same pid, same start time); quietly otherwise. */
export function signalIfSame(p: ProcessRef, sig: NodeJS.Signals): void {
  if (statOf(p.pid)?.start !== p.start) return;
  try {
    process.kill(p.pid, sig);
  } catch {
    // Gone between the two reads, or not ours to signal: nothing to stop.
  }
}
