// What `ctrsafe run` was asked to do, parsed from its command line (pure): image, command, binds, namespaces.
import { UsageError } from '../errors.js';

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

const VALUE_FLAGS = new Set([
  '--bind',
  '-b',
  '--net',
  '--env',
  '--workdir',
  '--pwd',
  '--policy',
  '--keyring',
  '--host-root',
  '--cache',
]);

export function parseRunArgs(args: string[]): RunSpec {
  const dash = args.indexOf('--');
  const opts = dash === -1 ? args : args.slice(0, dash);
  const command = dash === -1 ? [] : args.slice(dash + 1);
  const spec: RunSpec = {
    image: '',
    command,
    binds: [],
    net: 'host',
    fakeroot: false,
    home: true,
    cleanEnv: false,
    env: [],
    workdir: null,
    gpu: false,
    dryRun: false,
    policy: null,
    keyring: [],
    hostRoot: null,
    cacheDir: null,
    unpack: false,
  };
  const positionals: string[] = [];
  for (let i = 0; i < opts.length; i++) {
    const a = opts[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    let value: string | undefined;
    if (VALUE_FLAGS.has(name)) {
      value = eq > 0 ? a.slice(eq + 1) : opts[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
    }
    switch (name) {
      case '--bind':
      case '-b':
        for (const b of value!.split(',')) spec.binds.push(parseBind(b));
        break;
      case '--net':
        if (value !== 'host' && value !== 'none') throw new UsageError('--net is host or none');
        spec.net = value;
        break;
      case '--env': {
        const k = value!.indexOf('=');
        if (k <= 0) throw new UsageError(`--env ${value}: expected NAME=VALUE`);
        spec.env.push([value!.slice(0, k), value!.slice(k + 1)]);
        break;
      }
      case '--workdir':
      case '--pwd':
        if (!value!.startsWith('/')) throw new UsageError(`${name} must be an absolute path`);
        spec.workdir = value!;
        break;
      case '--policy':
        spec.policy = value!;
        break;
      case '--keyring':
        spec.keyring.push(value!);
        break;
      case '--host-root':
        spec.hostRoot = value!;
        break;
      case '--cache':
        spec.cacheDir = value!;
        break;
      case '--fakeroot':
        spec.fakeroot = true;
        break;
      case '--no-home':
        spec.home = false;
        break;
      case '--cleanenv':
        spec.cleanEnv = true;
        break;
      case '--gpu':
      case '--nv':
        spec.gpu = true;
        break;
      case '--unpack':
        spec.unpack = true;
        break;
      case '--dry-run':
        spec.dryRun = true;
        break;
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option ${a} (ctrsafe run --help)`);
        positionals.push(a);
    }
  }
  if (positionals.length !== 1) throw new UsageError('ctrsafe run takes one IMAGE, then -- COMMAND...');
  spec.image = positionals[0]!;
  if (spec.command.length === 0)
    throw new UsageError('ctrsafe run IMAGE -- COMMAND...: the command is missing');
  return spec;
}
