// `check --push`: enrols once and keeps its token 0600; while the server is down reports are spooled, then all arrive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { createApp } from '../../src/fleet/server/app.js';
import { serveApp } from '../../src/fleet/server/serve.js';
import { openStore } from '../../src/fleet/store/open-store.js';
import { BIN, FIXTURES } from '../helpers/tree.js';

const ADMIN = 'admin-token-for-tests-0123456789';
const SECRET = 'enrol-secret-for-tests-0123456789';

function push(url: string, state: string): Promise<{ code: number | null; stderr: string }> {
  // Asynchronous: the server runs in this process, so the CLI must not block its event loop.
  return new Promise((resolve) => {
    const c = spawn(
      process.execPath,
      [BIN, 'check', '--root', path.join(FIXTURES, 'debian12'), '--push', url, '--state', state],
      { env: { ...process.env, CTRSAFE_ENROLL_SECRET: SECRET } },
    );
    let stderr = '';
    c.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    c.on('close', (code) => resolve({ code, stderr }));
  });
}

test('enrol, deliver, spool while down, deliver the backlog in order', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-push-'));
  const state = path.join(dir, 'state');
  const store = await openStore(`sqlite:${path.join(dir, 'fleet.db')}`);
  const app = createApp(store, { adminToken: ADMIN, enrollSecret: SECRET, staleMs: 3600_000 });
  let server = await serveApp(app, '127.0.0.1', 0);
  const port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}`;
  try {
    const first = await push(url, state);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /1 delivered/);
    assert.equal(
      fs.statSync(path.join(state, 'node-token')).mode & 0o777,
      0o600,
      'the token file is private',
    );
    await new Promise<void>((r) => server.close(() => r()));
    const down = await push(url, state);
    assert.equal(down.code, 0, 'a down server does not fail the check');
    assert.match(down.stderr, /1 still spooled/);
    server = await serveApp(app, '127.0.0.1', port);
    const back = await push(url, state);
    assert.match(back.stderr, /2 delivered/);
    assert.deepEqual(
      fs.readdirSync(path.join(state, 'spool')).filter((f) => f.endsWith('.json')),
      [],
    );
    const rows = await store.listNodes({ offset: 0, limit: 10 });
    assert.equal(rows.total, 1);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
    await store.close();
  }
});
