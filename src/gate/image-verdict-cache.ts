// Image gate verdicts cached by content digest, so a prolog does not re-read the same image for every job.
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { SafeDir } from '../host/safe-write.js';

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

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * A cache another user could write is no cache: they could plant a passing verdict. Only a directory ctrsafe
 * created or one nobody else can write is used (SafeDir); anything else is ignored (the image is judged again).
 */
export class ImageVerdictCache {
  private readonly dir: SafeDir | null;

  constructor(
    dir: string,
    /** Policy text and ctrsafe version: a new policy or a new ctrsafe judges again. */
    private readonly judgeKey: string,
  ) {
    let d: SafeDir | null = null;
    try {
      d = SafeDir.open(dir, { create: 0o700 });
    } catch {
      // unusable: verdicts are neither read nor kept
    }
    this.dir = d;
  }

  get enabled(): boolean {
    return this.dir !== null;
  }

  /** The cache directory by descriptor, for private copies on the same file system; null when unusable. */
  get workDir(): string | null {
    return this.dir ? this.dir.at('.') : null;
  }

  close(): void {
    this.dir?.close();
  }

  private read<T>(name: string): T | null {
    try {
      const b = this.dir?.readFile(name, 64 * 1024);
      return b ? (JSON.parse(b.toString('utf8')) as T) : null;
    } catch {
      return null;
    }
  }

  private write(name: string, value: unknown): void {
    try {
      this.dir?.writeFile(name, JSON.stringify(value), 0o600);
    } catch {
      // a verdict not kept is judged again next time
    }
  }

  get(digest: string): CachedVerdict | null {
    const v = this.read<CachedVerdict>(`verdict-${sha(`${digest}\n${this.judgeKey}`)}.json`);
    return v && v.digest === digest && typeof v.pass === 'boolean' && typeof v.line === 'string' ? v : null;
  }

  put(v: CachedVerdict): void {
    this.write(`verdict-${sha(`${v.digest}\n${this.judgeKey}`)}.json`, v);
  }
}
