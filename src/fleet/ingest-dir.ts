// Ingests reports from a directory, one file per node named after it (NODE.json): bounded, idempotent, bound to the node.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors.js';
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
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch (e) {
    throw new InputError(
      `${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (e as Error).message.split('\n')[0]}`,
    );
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
    let body: Buffer;
    try {
      const st = fs.lstatSync(file);
      if (!st.isFile()) throw new Error('not a regular file');
      if (st.size > MAX_REPORT_BYTES) throw new Error(`larger than ${MAX_REPORT_BYTES} bytes`);
      body = fs.readFileSync(file);
    } catch (e) {
      refuse((e as Error).message.split('\n')[0]!);
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
        actor: opts.actor ?? 'ingest',
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
