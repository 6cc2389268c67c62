// `ctrsafe snapshot -o DIR` on the live host, then `check --root DIR`, gives the same answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runMain, runMainJson } from '../helpers/run-main.js';

interface Report {
  features: { id: string; state: string; how: string; evidence: string }[];
  runtimes: {
    id: string;
    installed: boolean;
    version: string | null;
    mode: string | null;
    ready: string;
    risk: string;
  }[];
  findings: { id: string; status: string }[];
  host: { hostname: string; kernel: unknown; os: unknown; source: string };
}

test('a snapshot reproduces the live verdicts on check --root', async () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-snap-')), 'node001');
  const s = await runMain(['snapshot', '-o', out]);
  assert.equal(s.code, 0, s.stderr);
  assert.ok(fs.existsSync(path.join(out, '.ctrsafe-snapshot.json')));
  const live = (await runMainJson(['check'])).json as unknown as Report;
  const snap = (await runMainJson(['check', '--root', out])).json as unknown as Report;
  assert.equal(snap.host.source, 'root');
  assert.equal(snap.host.hostname, live.host.hostname);
  assert.deepEqual(snap.host.kernel, live.host.kernel);
  assert.deepEqual(snap.host.os, live.host.os);
  assert.deepEqual(
    snap.features,
    live.features.map((f) => ({ ...f, evidence: snap.features.find((x) => x.id === f.id)!.evidence })),
  );
  const pick = (r: Report) =>
    r.runtimes.map(({ id, installed, version, mode, ready, risk }) => ({
      id,
      installed,
      version,
      mode,
      ready,
      risk,
    }));
  assert.deepEqual(pick(snap), pick(live));
  assert.deepEqual(
    snap.findings.map((f) => [f.id, f.status]),
    live.findings.map((f) => [f.id, f.status]),
  );
  // Probe results say where they came from.
  assert.equal(snap.features.find((f) => f.id === 'no_new_privs')!.how, 'probe');
});

test('snapshot refuses a non-empty directory', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-snap-'));
  fs.writeFileSync(path.join(dir, 'keep'), 'x');
  const s = await runMain(['snapshot', '-o', dir]);
  assert.equal(s.code, 4);
  assert.match(s.stderr, /not empty/);
});
