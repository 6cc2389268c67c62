// A PostgreSQL cluster of a test's own (recipes.md: initdb as postgres, loopback port, socket in the scratch
// directory), so the test may restart it, stop it or require a password without touching the suite's shared one.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './fleet-server.js';

export interface ScratchPostgres {
  /** postgres://postgres@127.0.0.1:PORT/fleet (no password in it). */
  url: string;
  port: number;
  restart(mode?: 'fast' | 'immediate'): void;
  /** The postmaster and its backends: SIGSTOP them to make the database hang, SIGCONT to let it go. */
  signal(sig: 'SIGSTOP' | 'SIGCONT'): void;
  sql(statement: string): string;
  stop(): void;
}

/** Why a scratch cluster cannot be made here (not root, no PostgreSQL), or null. */
export function scratchPostgresUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'a scratch PostgreSQL needs root (initdb runs as the postgres user)';
  if (!fs.existsSync('/usr/lib/postgresql')) return 'PostgreSQL is not installed (/usr/lib/postgresql)';
  return null;
}

const pgBin = () => {
  const versions = fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b));
  return path.join('/usr/lib/postgresql', versions.at(-1)!, 'bin');
};

export async function startScratchPostgres(opts: { password?: string } = {}): Promise<ScratchPostgres> {
  const bin = pgBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-pg-'));
  fs.chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  const sock = path.join(dir, 'sock');
  fs.mkdirSync(sock);
  execFileSync('chown', ['-R', 'postgres', dir]);
  const asPostgres = (cmd: string, args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  asPostgres('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth-local=trust',
    `--auth-host=${opts.password ? 'scram-sha-256' : 'trust'}`,
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '-N',
  ]);
  const port = await freePort();
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${sock} -c fsync=off`;
  const start = () =>
    asPostgres('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-o', options, '-w', 'start']);
  start();
  const psql = (statement: string, db = 'postgres') =>
    asPostgres('psql', ['-h', sock, '-p', String(port), '-U', 'postgres', '-d', db, '-Atc', statement]);
  if (opts.password) psql(`ALTER USER postgres PASSWORD '${opts.password.replace(/'/g, "''")}'`);
  psql('CREATE DATABASE fleet');
  const pids = () => {
    const post = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = spawnSync('pgrep', ['-P', String(post)], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .map(Number);
    return [post, ...children];
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/fleet`,
    port,
    restart: (mode = 'fast') => {
      asPostgres('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
      start();
    },
    signal: (sig) => {
      for (const pid of pids())
        try {
          process.kill(pid, sig);
        } catch {
          // gone already
        }
    },
    sql: (statement) => psql(statement, 'fleet'),
    stop: () => {
      try {
        asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // stopped already
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
