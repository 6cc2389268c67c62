// The server's request and audit logs: a path that cannot be opened is one line at start-up, a link planted at the
// name is not followed, and a log that fails later (a full disk) is said once while the server goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openJsonLines } from '../../../src/fleet/server/json-lines.js';

test('a log file is appended, created 0600; a missing directory or a planted link is one line', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-log-'));
  try {
    const file = path.join(dir, 'audit.log');
    fs.writeFileSync(file, '{"old":1}\n', { mode: 0o600 });
    const log = openJsonLines(file)!;
    log.write({ a: 1 });
    log.write({ b: 2 });
    await log.close();
    assert.equal(fs.readFileSync(file, 'utf8'), '{"old":1}\n{"a":1}\n{"b":2}\n');
    const made = path.join(dir, 'new.log');
    await openJsonLines(made)!.close();
    assert.equal(fs.statSync(made).mode & 0o777, 0o600);
    assert.throws(() => openJsonLines(path.join(dir, 'no/such/dir.log')), /no\/such\/dir\.log: ENOENT$/);
    const target = path.join(dir, 'target');
    fs.writeFileSync(target, '');
    fs.symlinkSync(target, path.join(dir, 'link.log'));
    assert.throws(() => openJsonLines(path.join(dir, 'link.log')), /link\.log: is a symbolic link$/);
    assert.equal(fs.readFileSync(target, 'utf8'), '', 'nothing written through the link');
    assert.equal(openJsonLines('off'), null);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a log that fails while the server runs (a full disk: /dev/full) is said once and dropped, never a crash', async () => {
  const warned: string[] = [];
  const log = openJsonLines('/dev/full', (l) => warned.push(l))!;
  for (let i = 0; i < 3; i++) {
    log.write({ i });
    await new Promise((r) => setTimeout(r, 150));
  }
  await log.close();
  assert.equal(warned.length, 1, warned.join('\n'));
  assert.match(warned[0]!, /^ctrsafe fleet serve: log \/dev\/full: ENOSPC.*; lines to it are dropped$/);
});
