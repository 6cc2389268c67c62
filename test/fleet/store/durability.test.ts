// No loss: SIGKILL the real fleet server in the middle of a report load; every acknowledged report is in the database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDriver, openStore } from '../../../src/fleet/store/open-store.js';
import { loadHost, loadReport } from '../../helpers/load-report.js';
import { ADMIN, request, SECRET, startServer } from '../../helpers/fleet-server.js';

const NODES = 50;
const IN_FLIGHT = 16;
const KILL_DELAY_MS = 7;

const report = (h: number, seq: number) => loadReport('dur', h, seq);
const hostname = (h: number) => loadHost('dur', h);

interface Run {
  dir: string;
  db: string;
  tokens: string[];
  total: number;
  /** Reports 0 .. issued-1 were sent; the rest never started. */
  issued: number;
  /** report_id -> the status of the answer (201 stored, 200 duplicate): what the server acknowledged. */
  acked: Map<string, number>;
  /** Reports sent that got no answer: the kill cut them off. */
  cutOff: Set<number>;
  inFlightAtKill: number;
  unexpected: string[];
}

const reportOf = (j: number) => ({ h: j % NODES, seq: Math.floor(j / NODES) });

/** Enrols NODES nodes, sends `total` reports IN_FLIGHT at a time, and SIGKILLs the server once `killAt` are acknowledged. */
async function loadAndKill(total: number, killAt: number): Promise<Run> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-durable-'));
  const db = path.join(dir, 'fleet.db');
  const server = await startServer(`sqlite:${db}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const run: Run = {
    dir,
    db,
    tokens: [],
    total,
    issued: 0,
    acked: new Map(),
    cutOff: new Set(),
    inFlightAtKill: 0,
    unexpected: [],
  };
  try {
    run.tokens = await Promise.all(
      Array.from({ length: NODES }, async (_, h) => {
        const r = await request(agent, server.port, 'POST', '/api/v1/enroll', {
          hostname: hostname(h),
          secret: SECRET,
        });
        assert.equal(r.status, 201);
        return r.json.node_token as string;
      }),
    );
    let next = 0;
    let inFlight = 0;
    let killed = false;
    let armed = false;
    const worker = async () => {
      // Nothing new starts after the kill: what matters is what was in flight when it came.
      while (next < total && !killed) {
        const j = next++;
        const { h, seq } = reportOf(j);
        inFlight++;
        try {
          const r = await request(
            agent,
            server.port,
            'POST',
            '/api/v1/reports',
            report(h, seq),
            run.tokens[h],
          );
          if (r.status === 201 || r.status === 200) run.acked.set(r.json.report_id as string, r.status);
          else run.unexpected.push(`${r.status} ${JSON.stringify(r.json)}`);
        } catch (e) {
          // Only the kill may cut a request off: an error before it is a failure of its own.
          if (killed) run.cutOff.add(j);
          else run.unexpected.push(`before the kill: ${String(e)}`);
        } finally {
          inFlight--;
        }
        if (!armed && run.acked.size >= killAt) {
          armed = true;
          // A few milliseconds on, so the kill lands while the server is inside other requests, not between them.
          setTimeout(() => {
            killed = true;
            run.inFlightAtKill = inFlight;
            server.child.kill('SIGKILL');
          }, KILL_DELAY_MS);
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    run.issued = next;
    if (!killed) server.child.kill('SIGKILL');
    await server.exited;
  } finally {
    agent.destroy();
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  }
  return run;
}

test('no loss: killing the server in the middle of a load run loses no acknowledged report', async (t) => {
  let run: Run | undefined;
  // The kill must land mid-run: some reports acknowledged, some cut off in flight. On a machine so fast that the
  // run outpaces the kill, go again with more reports rather than pass without having tested anything.
  for (const total of [400, 1600, 6400]) {
    if (run) fs.rmSync(run.dir, { recursive: true, force: true });
    run = await loadAndKill(total, Math.floor(total * 0.4));
    t.diagnostic(
      `${total} reports: ${run.acked.size} acknowledged, ${run.cutOff.size} cut off, ${run.inFlightAtKill} in flight at the kill`,
    );
    if (run.acked.size > 0 && run.cutOff.size > 0 && run.acked.size < total) break;
  }
  assert.ok(run);
  const { dir, db, tokens, acked, cutOff, unexpected } = run;
  try {
    assert.deepEqual(unexpected, [], 'every answer was 201 or 200');
    assert.ok(acked.size > 0, 'some reports were acknowledged before the kill');
    assert.ok(cutOff.size > 0, 'some reports were in flight when the server was killed');
    assert.ok(acked.size < run.total, 'the kill came before the end of the run');
    assert.equal(acked.size + cutOff.size, run.issued, 'every report sent was either answered or cut off');

    // The database as the killed server left it (the WAL is replayed on open).
    const raw = await openDriver(`sqlite:${db}`);
    const seen = new Set(
      (await raw.all<{ report_id: string }>('SELECT report_id FROM reports_seen')).map((r) => r.report_id),
    );
    const integrity = await raw.all<{ integrity_check: string }>('PRAGMA integrity_check');
    await raw.close();
    assert.deepEqual(integrity, [{ integrity_check: 'ok' }]);
    const lost = [...acked.keys()].filter((id) => !seen.has(id));
    assert.deepEqual(lost, [], 'acknowledged reports missing from reports_seen');
    t.diagnostic(`${seen.size - acked.size} reports were stored but their answer was cut off (allowed)`);

    // Each node's latest state is at least as new as the newest report acknowledged for it.
    const newestAcked = new Map<number, number>();
    for (const id of acked.keys()) {
      const [, h, seq] = id.split('-').map(Number) as [number, number, number];
      newestAcked.set(h, Math.max(newestAcked.get(h) ?? -1, seq));
    }
    const store = await openStore(`sqlite:${db}`);
    try {
      for (const [h, seq] of newestAcked) {
        const n = await store.node(hostname(h));
        assert.ok(n, `${hostname(h)} has a stored state`);
        assert.ok(
          n.row.generated_at >= Date.parse(report(h, seq).generated_at),
          `${hostname(h)}: state ${n.row.report_id} is older than acknowledged dur-${h}-${seq}`,
        );
      }
    } finally {
      await store.close();
    }

    // Restarted on the same database: the tokens still hold, what was acknowledged is a duplicate now, and the
    // reports a node would resend (those cut off) arrive, after which every node shows its newest report.
    const server = await startServer(`sqlite:${db}`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    try {
      const ackedJ = Array.from({ length: run.issued }, (_, j) => j).filter((j) => {
        const { h, seq } = reportOf(j);
        return acked.has(`dur-${h}-${seq}`);
      });
      const resend = async (js: number[]) => {
        const out: { j: number; status: number; note: unknown }[] = [];
        let k = 0;
        await Promise.all(
          Array.from({ length: IN_FLIGHT }, async () => {
            while (k < js.length) {
              const j = js[k++]!;
              const { h, seq } = reportOf(j);
              const r = await request(
                agent,
                server.port,
                'POST',
                '/api/v1/reports',
                report(h, seq),
                tokens[h],
              );
              out.push({ j, status: r.status, note: r.json.note });
            }
          }),
        );
        return out;
      };
      const again = await resend(ackedJ);
      assert.equal(again.length, acked.size);
      for (const a of again) assert.deepEqual([a.status, a.note], [200, 'duplicate'], `report ${a.j} again`);
      const late = await resend([...cutOff]);
      for (const a of late)
        assert.ok(a.status === 201 || a.status === 200, `cut-off report ${a.j}: ${a.status}`);

      const nodes = await request(
        agent,
        server.port,
        'GET',
        '/api/v1/nodes?offset=0&limit=100',
        undefined,
        ADMIN,
      );
      const rows = nodes.json.nodes as { hostname: string; report_id: string }[];
      const expected = Array.from({ length: Math.min(NODES, run.issued) }, (_, h) => ({
        hostname: hostname(h),
        // The last report sent for node h: the largest j = seq * NODES + h below issued.
        report_id: `dur-${h}-${Math.floor((run.issued - 1 - h) / NODES)}`,
      }));
      assert.deepEqual(
        rows.map((r) => ({ hostname: r.hostname, report_id: r.report_id })),
        expected,
        'every node shows its newest report',
      );
    } finally {
      agent.destroy();
      server.child.kill('SIGTERM');
      await server.exited;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
