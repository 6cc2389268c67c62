// Delivers reports to the fleet server: enrols once (token kept 0600), spools first, sends oldest first, never loses one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors.js';

export interface PushOptions {
  url: string;
  stateDir: string;
  hostname: string;
  enrollSecret?: string;
  timeoutMs?: number;
  /** Waits between tries inside one run (ms); later runs deliver what is still spooled. */
  backoffMs?: number[];
}

export interface PushResult {
  delivered: number;
  spooled: number;
  rejected: number;
  message: string;
}

const MAX_SPOOL = 1000;

function writeAtomic(file: string, body: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, body, { mode });
  fs.renameSync(tmp, file);
}

async function post(
  url: string,
  body: string,
  token: string | null,
  timeoutMs: number,
): Promise<{ status: number; text: string } | { error: string }> {
  try {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: r.status, text: (await r.text()).slice(0, 2000) };
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0]! };
  }
}

async function token(o: PushOptions, base: string, renew: boolean): Promise<string> {
  const file = path.join(o.stateDir, 'node-token');
  if (!renew && fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  if (!o.enrollSecret)
    throw new InputError(
      `no node token in ${file}: set CTRSAFE_ENROLL_SECRET (or --enroll-secret-file) to enrol`,
    );
  const r = await post(
    `${base}/api/v1/enroll`,
    JSON.stringify({ hostname: o.hostname, secret: o.enrollSecret }),
    null,
    o.timeoutMs ?? 10000,
  );
  if ('error' in r) throw new Error(`enrolment failed: ${r.error}`);
  if (r.status !== 201)
    throw new InputError(`enrolment refused (HTTP ${r.status}): ${r.text.trim().slice(0, 200)}`);
  const t = (JSON.parse(r.text) as { node_token: string }).node_token;
  writeAtomic(file, t + '\n', 0o600);
  return t;
}

/** Spools the report, then tries to deliver every spooled report in order of generation. */
export async function pushReport(reportJson: string, reportId: string, o: PushOptions): Promise<PushResult> {
  const base = o.url.replace(/\/+$/, '');
  const spool = path.join(o.stateDir, 'spool');
  fs.mkdirSync(spool, { recursive: true, mode: 0o700 });
  writeAtomic(
    path.join(
      spool,
      `${Date.now().toString().padStart(15, '0')}-${reportId.replace(/[^A-Za-z0-9-]/g, '')}.json`,
    ),
    reportJson,
    0o600,
  );
  let files = fs
    .readdirSync(spool)
    .filter((f) => f.endsWith('.json'))
    .sort();
  let dropped = 0;
  while (files.length > MAX_SPOOL) {
    fs.rmSync(path.join(spool, files.shift()!));
    dropped++;
  }
  const result: PushResult = { delivered: 0, spooled: 0, rejected: 0, message: '' };
  let tok: string | null = null;
  try {
    tok = await token(o, base, false);
  } catch (e) {
    if (e instanceof InputError) throw e;
    result.spooled = files.length;
    result.message = `server unreachable (${(e as Error).message}); ${files.length} reports wait in ${spool}`;
    return result;
  }
  const waits = o.backoffMs ?? [0, 500, 2000];
  let renewed = false;
  for (const f of files) {
    const body = fs.readFileSync(path.join(spool, f), 'utf8');
    let done = false;
    for (const wait of waits) {
      if (wait) await new Promise((r) => setTimeout(r, wait));
      const r = await post(`${base}/api/v1/reports`, body, tok, o.timeoutMs ?? 10000);
      if ('error' in r || r.status >= 500) continue;
      if (r.status === 401 && !renewed && o.enrollSecret) {
        renewed = true;
        tok = await token(o, base, true);
        continue;
      }
      if (r.status === 200 || r.status === 201) {
        fs.rmSync(path.join(spool, f));
        result.delivered++;
      } else {
        // Refused for good (422, 403): keep it for an operator, out of the way of the queue.
        fs.mkdirSync(path.join(spool, 'rejected'), { recursive: true, mode: 0o700 });
        fs.renameSync(path.join(spool, f), path.join(spool, 'rejected', f));
        result.rejected++;
      }
      done = true;
      break;
    }
    if (!done) break; // keep order: later reports wait behind the one that could not be sent
  }
  files = fs.readdirSync(spool).filter((f) => f.endsWith('.json'));
  result.spooled = files.length;
  result.message = `${result.delivered} delivered${result.rejected ? `, ${result.rejected} refused by the server (kept in ${spool}/rejected)` : ''}${result.spooled ? `, ${result.spooled} still spooled in ${spool}` : ''}${dropped ? `, ${dropped} oldest dropped (spool limit ${MAX_SPOOL})` : ''}`;
  return result;
}
