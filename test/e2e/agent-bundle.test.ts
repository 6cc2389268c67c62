// The compute-node agent alone: the single-file bundle, and the single executable built from it, each copied into
// a directory that holds nothing else, run check, gate and check --push.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createApp } from '../../src/fleet/server/app.js';
import { serveApp } from '../../src/fleet/server/serve.js';
import { openStore } from '../../src/fleet/store/open-store.js';
import { BIN, REPO } from '../helpers/tree.js';

const SECRET = 'enrol-secret-for-agent-tests-0123';

function run(argv: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // No NODE_PATH, no node_modules anywhere up the tree: /tmp/x/ctrsafe.cjs finds nothing but itself.
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', CTRSAFE_ENROLL_SECRET: SECRET, HOME: cwd };
    const c = spawn(argv[0]!, argv.slice(1), { cwd, env });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    c.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function exercise(argv: string[], dir: string) {
  const check = await run([...argv, 'check', '--format', 'json'], dir);
  assert.equal(check.code, 0, check.stderr);
  const report = JSON.parse(check.stdout) as {
    schema: string;
    runtimes: unknown[];
    advisories: { count: number };
  };
  assert.equal(report.schema, 'ctrsafe.report/1');
  assert.equal(report.runtimes.length, 8);
  assert.ok(report.advisories.count >= 100, 'the advisory database travels inside');
  const gate = await run([...argv, 'gate'], dir);
  assert.ok(gate.code === 0 || gate.code === 1, gate.stderr);
  assert.match(gate.stdout, /^ctrsafe: /);
  assert.equal(gate.stdout.trim().split('\n').length, 1);
  // openpgp.js travels inside as text and is compiled only here, for the PGP signature; DSSE needs Node alone.
  const samples = path.join(REPO, '../shared/reference/sif-samples');
  if (fs.existsSync(samples) || process.env.CI)
    for (const [image, key] of [
      ['two-groups-signed-pgp.sif', 'pgp-public.asc'],
      ['two-groups-signed-dsse.sif', 'ed25519-public.pem'],
    ]) {
      const v = await run(
        [
          ...argv,
          'image',
          'verify',
          path.join(samples, image!),
          '--keyring',
          path.join(samples, 'keys', key!),
        ],
        dir,
      );
      assert.equal(v.code, 0, `${image}: ${v.stdout} ${v.stderr}`);
      assert.match(v.stdout, /signature: verified by /);
    }

  const dbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-agent-db-'));
  const store = await openStore(`sqlite:${path.join(dbDir, 'fleet.db')}`);
  const server = await serveApp(
    createApp(store, {
      adminToken: 'admin-token-agent-tests-012345',
      enrollSecret: SECRET,
      staleMs: 3600_000,
    }),
    '127.0.0.1',
    0,
  );
  try {
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const push = await run(
      [...argv, 'check', '--format', 'json', '--push', url, '--state', path.join(dir, 'state')],
      dir,
    );
    assert.equal(push.code, 0, push.stderr);
    assert.match(push.stderr, /1 delivered/);
    assert.equal((await store.listNodes({ offset: 0, limit: 1 })).total, 1);
  } finally {
    await new Promise((r) => server.close(r));
    await store.close();
  }
}

test('the bundle alone in a directory: check, gate, check --push', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-agent-'));
  fs.copyFileSync(BIN, path.join(dir, 'ctrsafe.cjs'));
  assert.deepEqual(fs.readdirSync(dir), ['ctrsafe.cjs']);
  await exercise([process.execPath, path.join(dir, 'ctrsafe.cjs')], dir);
});

test('the single executable alone in a directory: check, gate, check --push', async () => {
  const sea = path.join(REPO, 'dist/sea/ctrsafe');
  // Built here from the bundle with Node's own SEA support (scripts/build-sea.mjs, about 6 s).
  if (!fs.existsSync(sea) || fs.statSync(sea).mtimeMs < fs.statSync(BIN).mtimeMs)
    execFileSync(process.execPath, [path.join(REPO, 'scripts/build-sea.mjs')], {
      stdio: 'ignore',
      timeout: 180_000,
    });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-sea-'));
  fs.copyFileSync(sea, path.join(dir, 'ctrsafe'));
  fs.chmodSync(path.join(dir, 'ctrsafe'), 0o755);
  // It embeds the Node LTS package.json pins, not the machine's own (Node 20 reached its end of life in April 2026).
  const { ctrsafe } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
    ctrsafe: { node: string };
  };
  assert.match(
    execFileSync(path.join(dir, 'ctrsafe'), ['--version'], { encoding: 'utf8' }),
    new RegExp(`\\(Node v${ctrsafe.node.replace(/\./g, '\\.')},`),
  );
  await exercise([path.join(dir, 'ctrsafe')], dir);
  fs.rmSync(dir, { recursive: true, force: true });
});
