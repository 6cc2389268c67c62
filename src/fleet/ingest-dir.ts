// Ingests reports from a directory, one file per node named after it (NODE.json): bounded, idempotent, bound to the node.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors.js';
import { errnoText } from '../host/safe-write.js';
import { hostnameProblem, sameNode } from './hostname.js';
import type { FleetStore } from './store/fleet-store.js';
import { MAX_REPORT_BYTES, parseReport } from './validate-report.js';

export interface IngestSummary {
  stored: number;
  duplicates: number;
  older: number;
  invalid: { file: string; reason: string }[];
}

const MAX_FILES = 1_000_000;
const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

/**
 * The bytes of one report file, or why not: opened without following a link and without blocking (a FIFO put
 * there would otherwise hang the ingest), checked on the open descriptor to be a regular file, and read at most
 * one byte past the size it had, so a file that grows after the check is refused, not read past its bound.
 */
function readReportFile(at: string): Buffer | string {
  let fd: number;
  try {
    fd = fs.openSync(at, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ELOOP'
      ? 'a symbolic link, not a report file'
      : errnoText(e);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return 'not a regular file';
    if (st.size > MAX_REPORT_BYTES) return `larger than ${MAX_REPORT_BYTES} bytes`;
    const buf = Buffer.allocUnsafe(st.size + 1);
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = fs.readSync(fd, buf, n, buf.length - n, n);
    // One byte more than fstat said: the file is still being written (or grew to escape the bound).
    return n > st.size ? 'changed while it was read' : buf.subarray(0, n);
  } catch (e) {
    return errnoText(e);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Stores every NODE.json in `dir`. The file's name says which node produced it (the node srun placed the task on, the
 * pdsh target's name, a node writing its own file), and a report is stored only for that node: one that names
 * another host is refused and recorded in the audit trail, so one node cannot overwrite another's state.
 * `actor` names the path in the audit trail ("collect:slurm", "collect:pdsh", "ingest").
 */
export async function ingestDirectory(
  store: FleetStore,
  dir: string,
  opts: { now?: () => number; actor?: string } = {},
): Promise<IngestSummary> {
  const now = opts.now ?? Date.now;
  // The directory is held by descriptor and every file opened below it, so a directory (or a file) swapped for
  // a link after it was looked at cannot make root read elsewhere.
  let dirFd: number;
  try {
    dirFd = fs.openSync(dir, O_RDONLY | O_DIRECTORY);
  } catch (e) {
    throw new InputError(`${dir}: ${errnoText(e)}`);
  }
  try {
    return await ingestFrom(store, dir, dirFd, now, opts.actor ?? 'ingest');
  } finally {
    fs.closeSync(dirFd);
  }
}

async function ingestFrom(
  store: FleetStore,
  dir: string,
  dirFd: number,
  now: () => number,
  actor: string,
): Promise<IngestSummary> {
  let names: string[];
  try {
    names = fs.readdirSync(`/proc/self/fd/${dirFd}`).filter((n) => n.endsWith('.json'));
  } catch (e) {
    throw new InputError(`${dir}: ${errnoText(e)}`);
  }
  if (names.length > MAX_FILES) throw new InputError(`${dir}: more than ${MAX_FILES} report files`);
  const out: IngestSummary = { stored: 0, duplicates: 0, older: 0, invalid: [] };
  // Many at once, so the store's group commit shares one sync among them (each node has one file).
  const storing = new Set<Promise<void>>();
  for (const n of names.sort()) {
    const file = path.join(dir, n);
    const node = n.slice(0, -'.json'.length);
    const refuse = (reason: string) => out.invalid.push({ file, reason });
    if (hostnameProblem(node)) {
      refuse(`the file name does not name a node (${hostnameProblem(node)})`);
      continue;
    }
    const body = readReportFile(`/proc/self/fd/${dirFd}/${n}`);
    if (typeof body === 'string') {
      refuse(body);
      continue;
    }
    const at = now();
    const v = parseReport(body, at);
    if (!v.ok) {
      refuse(v.reason);
      continue;
    }
    const claimed = v.report.host.hostname;
    if (!sameNode(node, claimed)) {
      const reason = `the report claims to be ${claimed}'s, but ${node} produced it`;
      refuse(reason);
      await store.audit({
        at,
        actor,
        action: 'report:refused-other-node',
        hostname: node,
        detail: `${reason} (${file})`,
      });
      continue;
    }
    const p: Promise<void> = store.ingest(v.report, at, v.text).then((r) => {
      storing.delete(p);
      if (r.note === 'duplicate') out.duplicates++;
      else if (r.note === 'older') out.older++;
      else out.stored++;
    });
    storing.add(p);
    if (storing.size >= 256) await Promise.race(storing);
  }
  await Promise.all(storing);
  return out;
}
