// The real `fleet serve` (the bundle) as a child process on a free loopback port, and plain HTTP requests to it.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { BIN } from './tree.js';

export const ADMIN = 'admin-token-for-tests-0123456789';
export const SECRET = 'enrol-secret-for-tests-0123456789';

export interface Server {
  child: ChildProcess;
  port: number;
  exited: Promise<unknown>;
  /** What the server printed so far (its JSON-lines logs go to standard output). */
  output(): string;
  /** Resident memory in KiB (VmRSS of /proc/PID/status). */
  rssKiB(): number;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts `fleet serve --db DB` with the test tokens; `args` adds options, `env` variables. */
export async function startServer(
  db: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<Server> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [BIN, 'fleet', 'serve', '--db', db, '--listen', `127.0.0.1:${port}`, ...args],
      {
        env: { ...process.env, CTRSAFE_ADMIN_TOKEN: ADMIN, CTRSAFE_ENROLL_SECRET: SECRET, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise((r) => child.once('exit', r));
    let out = '';
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout!.on('data', (b: Buffer) => {
      // Kept bounded: a long test's request log would otherwise grow here without end.
      out = (out + b.toString()).slice(-1_000_000);
    });
    const ready = await new Promise<boolean>((resolve) => {
      const poll = setInterval(() => {
        if (/listening on /.test(out)) {
          clearInterval(poll);
          resolve(true);
        }
      }, 20);
      void exited.then(() => {
        clearInterval(poll);
        resolve(false);
      });
    });
    if (ready)
      return {
        child,
        port,
        exited,
        output: () => out,
        rssKiB: () => {
          const m = /^VmRSS:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          return m ? Number(m[1]) : NaN;
        },
      };
    // Another process took the port between the probe and the listen: try another.
    if (attempt >= 2) throw new Error(`the server did not start: ${err}`);
  }
}

export async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
  await s.exited;
}

/** One request; a reset or refused connection rejects (no answer: the request was not acknowledged). */
export function request(
  agent: http.Agent,
  port: number,
  method: string,
  url: string,
  body?: unknown,
  token?: string,
  timeoutMs = 20_000,
): Promise<{ status: number; json: Record<string, unknown>; headers: http.IncomingHttpHeaders }> {
  const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: url,
        agent,
        timeout: timeoutMs,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(data === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          try {
            resolve({
              status: res.statusCode ?? 0,
              json: JSON.parse(text) as Record<string, unknown>,
              headers: res.headers,
            });
          } catch {
            reject(new Error(`${res.statusCode}: not JSON: ${text.slice(0, 200)}`));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * Sends a request head and nothing more, then waits for the answer: proof that the server decided without the
 * body. Resolves with the raw response head and the bytes of body this side sent (zero).
 */
export function headOnly(
  port: number,
  head: string,
  waitMs = 5_000,
): Promise<{ response: string; sent: number }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let response = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer in ${waitMs} ms; got ${JSON.stringify(response.slice(0, 200))}`));
    }, waitMs);
    s.on('connect', () => s.write(head));
    s.on('data', (b) => {
      response += b.toString('latin1');
      if (/\r\n\r\n/.test(response)) {
        clearTimeout(timer);
        s.destroy();
        resolve({ response, sent: 0 });
      }
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/**
 * Sends `count` reports of `vulns` vulnerabilities (about 1.4 KiB each) for `hostname`, two at a time, from a
 * child process, so that the caller's own event loop, timing the server meanwhile, is not the one held up.
 * Resolves with the HTTP statuses.
 */
export function sendLargeReports(
  port: number,
  token: string,
  hostname: string,
  count: number,
  vulns = 10_000,
): Promise<number[]> {
  const script = `
const body = (k) => JSON.stringify({ schema: 'ctrsafe.report/1', report_id: 'big-' + k + '-' + Date.now(), generated_at: new Date().toISOString(),
  host: { hostname: ${JSON.stringify(hostname)}, kernel: { release: '5.14.0-427.el9.x86_64', distro_kernel: true }, os: { id: 'rocky', version_id: '9.4' } },
  runtimes: [], findings: [], vulnerabilities: Array.from({ length: ${vulns} }, (_, i) => ({ id: 'CVE-2099-' + (10000 + i), status: 'affected', severity: 'critical', summary: 's'.repeat(1400) })) });
const bodies = Array.from({ length: ${count} }, (_, k) => body(k));
const send = (b) => fetch('http://127.0.0.1:${port}/api/v1/reports', { method: 'POST', headers: { authorization: 'Bearer ${token}', 'content-type': 'application/json' }, body: b }).then((r) => r.status);
const statuses = [];
for (let k = 0; k < bodies.length; k += 2) statuses.push(...(await Promise.all(bodies.slice(k, k + 2).map(send))));
process.stdout.write(JSON.stringify(statuses));
`;
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    c.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    c.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`sender exited ${code}`)),
    );
  });
}
