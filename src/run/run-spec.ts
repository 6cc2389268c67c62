// What `ctrsafe run` was asked to do, parsed from its command line (pure): image, command, binds, namespaces.
import { UsageError } from '../errors.js';
import { DEFAULT_CACHE_MAX_SIZE, parseByteSize } from './rootfs-cache.js';

export interface BindSpec {
  src: string;
  dst: string;
  readOnly: boolean;
}

export interface RunSpec {
  image: string;
  command: string[];
  binds: BindSpec[];
  /** Keep the host network (default: MPI and interconnects need it) or cut it. */
  net: 'host' | 'none';
  /** Map the caller to root inside (Apptainer's --fakeroot, Charliecloud's --uid 0); still no privilege outside. */
  fakeroot: boolean;
  /** Bind $HOME (Apptainer's default; Charliecloud's --home). */
  home: boolean;
  cleanEnv: boolean;
  env: [string, string][];
  workdir: string | null;
  gpu: boolean;
  dryRun: boolean;
  policy: string | null;
  /** Keys trusted for --policy's signature requirement (the site's policy uses the site's keyring). */
  keyring: string[];
  hostRoot: string | null;
  cacheDir: string | null;
  /** After a new unpack, older entries are removed (least recently used first) to keep the cache under this. */
  cacheMaxBytes: number;
  /** Unpack squashfs and SIF into the cache even where squashfuse could mount them. */
  unpack: boolean;
}

/** SRC[:DST[:ro|rw]] as Apptainer's --bind takes it; DST defaults to SRC. Paths must be absolute. */
export function parseBind(v: string): BindSpec {
  const parts = v.split(':');
  if (parts.length > 3 || !parts[0]) throw new UsageError(`--bind ${v}: expected SRC[:DST[:ro|rw]]`);
  const [src, dst = src, mode = 'rw'] = parts as [string, string?, string?];
  if (!src.startsWith('/') || !dst.startsWith('/'))
    throw new UsageError(`--bind ${v}: paths must be absolute`);
  if (mode !== 'ro' && mode !== 'rw')
    throw new UsageError(`--bind ${v}: the mode is ro or rw, not "${mode}"`);
  if (dst.split('/').includes('..'))
    throw new UsageError(`--bind ${v}: ".." is not allowed in the destination`);
  return { src, dst: dst.replace(/\/+$/, '') || '/', readOnly: mode === 'ro' };
}

/** What the command line gave, before it is checked (the CLI declaration in src/cli/commands/run.ts parses it). */
export interface RunRequest {
  image: string;
  command: string[];
  binds: string[];
  net?: string;
  fakeroot: boolean;
  noHome: boolean;
  cleanEnv: boolean;
  env: string[];
  workdir?: string;
  gpu: boolean;
  dryRun: boolean;
  policy?: string;
  keyring: string[];
  hostRoot?: string;
  cacheDir?: string;
  cacheMaxSize?: string;
  unpack: boolean;
}

export function buildRunSpec(r: RunRequest): RunSpec {
  if (r.command.length === 0) throw new UsageError('ctrsafe run IMAGE -- COMMAND...: the command is missing');
  if (r.net !== undefined && r.net !== 'host' && r.net !== 'none')
    throw new UsageError('--net is host or none');
  if (r.workdir !== undefined && !r.workdir.startsWith('/'))
    throw new UsageError('--workdir must be an absolute path');
  return {
    image: r.image,
    command: r.command,
    binds: r.binds.flatMap((b) => b.split(',').map(parseBind)),
    net: (r.net as 'host' | 'none' | undefined) ?? 'host',
    fakeroot: r.fakeroot,
    home: !r.noHome,
    cleanEnv: r.cleanEnv,
    env: r.env.map((e): [string, string] => {
      const k = e.indexOf('=');
      if (k <= 0) throw new UsageError(`--env ${e}: expected NAME=VALUE`);
      return [e.slice(0, k), e.slice(k + 1)];
    }),
    workdir: r.workdir ?? null,
    gpu: r.gpu,
    dryRun: r.dryRun,
    policy: r.policy ?? null,
    keyring: r.keyring,
    hostRoot: r.hostRoot ?? null,
    cacheDir: r.cacheDir ?? null,
    cacheMaxBytes: parseByteSize(r.cacheMaxSize ?? DEFAULT_CACHE_MAX_SIZE, '--cache-max-size'),
    unpack: r.unpack,
  };
}
