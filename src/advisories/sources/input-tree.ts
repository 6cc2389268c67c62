// The builder's view of one source's copy: a bare git repository (a mirror) read at HEAD, or a plain directory.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface InputTree {
  /** The commit read (git), or "directory <path>" for a plain directory. */
  revision: string;
  /** Committer date of that commit (YYYY-MM-DD), or null for a plain directory. */
  date: string | null;
  /** Every file below `prefix` (relative paths, sorted). */
  list(prefix: string): string[];
  read(file: string): Buffer;
  /** Many files at once (git: one `git cat-file --batch` child instead of one per file); absent blobs are left out. */
  readMany(files: string[]): Map<string, Buffer>;
}

const MAX_GIT_OUTPUT = 4 * 1024 ** 3;

function git(gitDir: string, args: string[], input?: string): Buffer {
  const r = spawnSync('git', ['--git-dir', gitDir, ...args], {
    input,
    maxBuffer: MAX_GIT_OUTPUT,
    env: { PATH: '/usr/bin:/bin', LC_ALL: 'C', HOME: '/' },
  });
  if (r.status !== 0)
    throw new Error(`git ${args[0]} in ${gitDir}: ${r.stderr.toString().trim().split('\n')[0]}`);
  return r.stdout;
}

function isGitDir(p: string): string | null {
  for (const cand of [p, path.join(p, '.git')])
    if (fs.existsSync(path.join(cand, 'HEAD')) && fs.existsSync(path.join(cand, 'objects'))) return cand;
  return null;
}

/** Parses `git cat-file --batch` output: "<sha> blob <size>\n<bytes>\n" per object, in request order. */
function splitBatch(out: Buffer, files: string[]): Map<string, Buffer> {
  const res = new Map<string, Buffer>();
  let p = 0;
  for (const f of files) {
    const nl = out.indexOf(0x0a, p);
    const head = out.subarray(p, nl).toString();
    if (head.endsWith(' missing')) {
      // A mirror may list a large file without holding its bytes: the caller reports it as not read.
      p = nl + 1;
      continue;
    }
    const m = /^[0-9a-f]+ blob (\d+)$/.exec(head);
    if (!m) throw new Error(`git cat-file: ${f}: ${head}`);
    const size = Number(m[1]);
    res.set(f, out.subarray(nl + 1, nl + 1 + size));
    p = nl + 1 + size + 1;
  }
  return res;
}

export function openInputTree(p: string): InputTree {
  const gitDir = isGitDir(p);
  if (gitDir) {
    const revision = git(gitDir, ['rev-parse', 'HEAD']).toString().trim();
    const date = git(gitDir, ['show', '-s', '--format=%cI', 'HEAD']).toString().trim().slice(0, 10);
    let all: string[] | null = null;
    const files = () =>
      (all ??= git(gitDir, ['ls-tree', '-r', '--name-only', '-z', 'HEAD'])
        .toString()
        .split('\0')
        .filter(Boolean)
        .sort());
    const readMany = (wanted: string[]) => {
      const res = new Map<string, Buffer>();
      // Batches bound the size of one child's output.
      for (let i = 0; i < wanted.length; i += 2000) {
        const chunk = wanted.slice(i, i + 2000);
        const out = git(gitDir, ['cat-file', '--batch'], chunk.map((f) => `HEAD:${f}`).join('\n') + '\n');
        for (const [k, v] of splitBatch(out, chunk)) res.set(k, v);
      }
      return res;
    };
    return {
      revision,
      date,
      list: (prefix) => files().filter((f) => f.startsWith(prefix)),
      read: (f) => readMany([f]).get(f)!,
      readMany,
    };
  }
  const root = path.resolve(p);
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
      const full = path.join(dir, d.name);
      return d.isDirectory() ? walk(full) : d.isFile() ? [path.relative(root, full)] : [];
    });
  return {
    revision: `directory ${root}`,
    date: null,
    list: (prefix) =>
      walk(root)
        .filter((f) => f.startsWith(prefix))
        .sort(),
    read: (f) => fs.readFileSync(path.join(root, f)),
    readMany: (fs_) => new Map(fs_.map((f) => [f, fs.readFileSync(path.join(root, f))])),
  };
}
