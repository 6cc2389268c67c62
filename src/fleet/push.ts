// Delivers reports to the fleet server: enrols once (token kept 0600), spools first, sends oldest first, never loses one.
import * as path from 'node:path';
import { InputError } from '../errors.js';
import { SafeDir } from '../host/safe-write.js';

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
/** A report is a few MiB at most (the server's own limit is larger); a token is one line. */
const MAX_SPOOLED_BYTES = 64 * 1024 * 1024;

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

async function token(o: PushOptions, state: SafeDir, base: string, renew: boolean): Promise<string> {
  const file = path.join(state.path, 'node-token');
  const known = renew ? null : state.readFile('node-token', 4096);
  if (known) return known.toString('utf8').trim();
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
  state.writeFile('node-token', t + '\n', 0o600);
  return t;
}

/** Spools the report, then tries to deliver every spooled report in order of generation. */
export async function pushReport(reportJson: string, reportId: string, o: PushOptions): Promise<PushResult> {
  // The state directory holds the node's token and the reports it will send: a user who could write it could read
  // the token or replace a report (issue 13), so it must be ctrsafe's own (created here 0700) or root's alone.
  const state = SafeDir.open(o.stateDir, { create: 0o700 });
  let spoolDir: SafeDir | null = null;
  try {
    spoolDir = state.sub('spool', 0o700);
    return await pushFrom(state, spoolDir, reportJson, reportId, o);
  } finally {
    spoolDir?.close();
    state.close();
  }
}

async function pushFrom(
  state: SafeDir,
  spoolDir: SafeDir,
  reportJson: string,
  reportId: string,
  o: PushOptions,
): Promise<PushResult> {
  const base = o.url.replace(/\/+$/, '');
  const spool = spoolDir.path;
  spoolDir.writeFile(
    `${Date.now().toString().padStart(15, '0')}-${reportId.replace(/[^A-Za-z0-9-]/g, '')}.json`,
    reportJson,
    0o600,
  );
  let files = spoolDir
    .list()
    .filter((f) => /^[0-9]{15}-[A-Za-z0-9-]*\.json$/.test(f))
    .sort();
  let dropped = 0;
  while (files.length > MAX_SPOOL) {
    spoolDir.remove(files.shift()!);
    dropped++;
  }
  const result: PushResult = { delivered: 0, spooled: 0, rejected: 0, message: '' };
  let tok: string | null = null;
  try {
    tok = await token(o, state, base, false);
  } catch (e) {
    if (e instanceof InputError) throw e;
    result.spooled = files.length;
    result.message = `server unreachable (${(e as Error).message}); ${files.length} reports wait in ${spool}`;
    return result;
  }
  const waits = o.backoffMs ?? [0, 500, 2000];
  let renewed = false;
  for (const f of files) {
    const body = spoolDir.readFile(f, MAX_SPOOLED_BYTES)?.toString('utf8');
    if (body === undefined) continue;
    let done = false;
    for (const wait of waits) {
      if (wait) await new Promise((r) => setTimeout(r, wait));
      const r = await post(`${base}/api/v1/reports`, body, tok, o.timeoutMs ?? 10000);
      if ('error' in r || r.status >= 500) continue;
      if (r.status === 401 && !renewed && o.enrollSecret) {
        renewed = true;
        tok = await token(o, state, base, true);
        continue;
      }
      if (r.status === 200 || r.status === 201) {
        spoolDir.remove(f);
        spoolDir.sync();
        result.delivered++;
      } else {
        // Refused for good (422, 403): keep it for an operator, out of the way of the queue.
        const rejected = spoolDir.sub('rejected', 0o700);
        spoolDir.rename(f, rejected, f);
        rejected.close();
        result.rejected++;
      }
      done = true;
      break;
    }
    if (!done) break; // keep order: later reports wait behind the one that could not be sent
  }
  files = spoolDir.list().filter((f) => f.endsWith('.json'));
  result.spooled = files.length;
  result.message = `${result.delivered} delivered${result.rejected ? `, ${result.rejected} refused by the server (kept in ${spool}/rejected)` : ''}${result.spooled ? `, ${result.spooled} still spooled in ${spool}` : ''}${dropped ? `, ${dropped} oldest dropped (spool limit ${MAX_SPOOL})` : ''}`;
  return result;
}
