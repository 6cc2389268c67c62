// Image gate verdicts cached by content digest, so a prolog does not re-read the same image for every job.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface CachedVerdict {
  digest: string;
  pass: boolean;
  line: string;
  at: string;
}

/** Root's cache is /var/cache/ctrsafe/images (FHS 5.5: application cache data); a user's is under XDG_CACHE_HOME. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  if (process.geteuid?.() === 0) return '/var/cache/ctrsafe/images';
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ctrsafe', 'images');
}

/**
 * A cache another user could write is no cache: they could plant a passing verdict. Only a directory owned by
 * this user and writable by nobody else is used; anything else is ignored (the image is simply read again).
 */
function trusted(p: string): boolean {
  try {
    const st = fs.lstatSync(p);
    return st.uid === (process.geteuid?.() ?? st.uid) && (st.mode & 0o022) === 0 && !st.isSymbolicLink();
  } catch {
    return false;
  }
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** sha256 of the whole file, streamed. */
export async function digestFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

export class ImageVerdictCache {
  private readonly usable: boolean;

  constructor(
    private readonly dir: string,
    /** Policy text and ctrsafe version: a new policy or a new ctrsafe judges again. */
    private readonly judgeKey: string,
  ) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch {
      // unusable: checked below
    }
    this.usable = trusted(dir);
  }

  get enabled(): boolean {
    return this.usable;
  }

  private read<T>(name: string): T | null {
    const p = path.join(this.dir, name);
    if (!trusted(p)) return null;
    try {
      const st = fs.statSync(p);
      if (st.size > 64 * 1024) return null;
      return JSON.parse(fs.readFileSync(p, 'utf8')) as T;
    } catch {
      return null;
    }
  }

  private write(name: string, value: unknown): void {
    if (!this.usable) return;
    const p = path.join(this.dir, name);
    const tmp = `${p}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, JSON.stringify(value), { mode: 0o600 });
      fs.renameSync(tmp, p);
    } catch {
      fs.rmSync(tmp, { force: true });
    }
  }

  get(digest: string): CachedVerdict | null {
    if (!this.usable) return null;
    const v = this.read<CachedVerdict>(`verdict-${sha(`${digest}\n${this.judgeKey}`)}.json`);
    return v && v.digest === digest && typeof v.pass === 'boolean' && typeof v.line === 'string' ? v : null;
  }

  put(v: CachedVerdict): void {
    this.write(`verdict-${sha(`${v.digest}\n${this.judgeKey}`)}.json`, v);
  }
}
