// Prometheus's own linter on exposition text: promtool check metrics (Debian's prometheus, installed by scripts/test.sh).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

export function assertPromtoolAccepts(text: string): void {
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(lint.error, undefined, 'promtool is installed (scripts/test.sh: apt-get install prometheus)');
  assert.equal(lint.status, 0, `${lint.stdout}${lint.stderr}`);
}
