// Writes fixture trees inline in tests: { "etc/os-release": "ID=debian\n", ... } under a fresh temp directory.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function writeTree(
  files: Record<string, string | Buffer>,
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-tree-')),
): string {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  return dir;
}

export const FIXTURES = new URL('../../../test/fixtures/hosts/', import.meta.url).pathname;
export const REPO = new URL('../../../', import.meta.url).pathname;
export const BIN = path.join(REPO, 'dist/bundle/ctrsafe.cjs');
