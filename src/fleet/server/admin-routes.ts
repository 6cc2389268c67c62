// The administrator's identity actions: revoke, re-key, approve or deny a held enrolment, read the audit trail.
import { isIP } from 'node:net';
import { isHostname } from '../hostname.js';
import type { AuditEvent } from '../store/node-identity.js';
import type {
  AuditTrail,
  EnrolmentRequest,
  EnrolmentRequests,
  Rekeyed,
  Revoked,
} from '../../schema/fleet-api.js';
import type { FleetBackend } from './backend.js';
import type { ApiResponse } from './app.js';
import { errorResponse, jsonResponse } from './responses.js';
import { hashToken, newToken } from './tokens.js';

interface Ctx {
  now: number;
  peer: string;
  rekeyWindowMs: number;
  log: (e: AuditEvent) => void;
}

const MAX_WINDOW_HOURS = 24 * 30;

function nodeName(segment: string): string | null {
  try {
    const n = decodeURIComponent(segment);
    return isHostname(n) ? n : null;
  } catch {
    return null;
  }
}

function jsonBody(body: Buffer): Record<string, unknown> | null {
  if (body.length === 0) return {};
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Answers an administrator's POST or DELETE (and the audit and enrolment GETs), or null for another path. */
export async function adminRoute(
  backend: FleetBackend,
  method: string,
  url: URL,
  body: Buffer,
  ctx: Ctx,
): Promise<ApiResponse | null> {
  const p = url.pathname;
  const log = (action: string, hostname: string | null, detail: string | null = null) =>
    ctx.log({ at: ctx.now, actor: 'admin', action, hostname, peer: ctx.peer, detail });
  let m = /^\/api\/v1\/nodes\/([^/]{1,800})\/token$/.exec(p);
  if (m && method === 'DELETE') {
    const host = nodeName(m[1]!);
    if (!host) return errorResponse(400, 'not a node name');
    if (!(await backend.revoke(host, ctx.now, 'admin', ctx.peer)))
      return errorResponse(404, 'no live token for that node');
    log('revoke', host);
    return jsonResponse(200, { revoked: host } satisfies Revoked);
  }
  m = /^\/api\/v1\/nodes\/([^/]{1,800})\/rekey$/.exec(p);
  if (m && method === 'POST') {
    const host = nodeName(m[1]!);
    if (!host) return errorResponse(400, 'not a node name');
    const b = jsonBody(body);
    if (!b) return errorResponse(400, 'body is not a JSON object');
    const hours = b.within_hours ?? ctx.rekeyWindowMs / 3600_000;
    if (typeof hours !== 'number' || !(hours > 0 && hours <= MAX_WINDOW_HOURS))
      return errorResponse(
        400,
        `within_hours must be a number of hours above 0, at most ${MAX_WINDOW_HOURS}`,
      );
    const from = b.from ?? null;
    if (from !== null && (typeof from !== 'string' || isIP(from) === 0))
      return errorResponse(400, 'from must be the IP address the node will enrol from');
    if (b.issue_token === true) {
      // The administrator installs this token on the node (its state directory's node-token file).
      const token = newToken();
      await backend.rekey(host, ctx.now, { tokenHash: hashToken(token) }, 'admin', ctx.peer);
      log('rekey:token-issued', host);
      return jsonResponse(201, { rekeyed: host, node_token: token } satisfies Rekeyed);
    }
    const until = ctx.now + hours * 3600_000;
    await backend.rekey(host, ctx.now, { until, from }, 'admin', ctx.peer);
    log(
      'rekey:enrolment-window',
      host,
      `until ${new Date(until).toISOString()}${from ? ` from ${from}` : ''}`,
    );
    return jsonResponse(200, {
      rekeyed: host,
      enrol_until: new Date(until).toISOString(),
      from,
    } satisfies Rekeyed);
  }
  if (p === '/api/v1/enrolments' && method === 'GET') {
    const status = url.searchParams.get('status');
    return jsonResponse(200, {
      requests: await backend.reader.enrolmentRequests(status || null),
    } satisfies EnrolmentRequests);
  }
  m = /^\/api\/v1\/enrolments\/(\d{1,15})\/(approve|deny)$/.exec(p);
  if (m && method === 'POST') {
    const approve = m[2] === 'approve';
    const r = await backend.decide(Number(m[1]), approve, ctx.now, ctx.rekeyWindowMs, 'admin', ctx.peer);
    if (!r) return errorResponse(404, 'no pending enrolment request with that id');
    log(approve ? 'enrolment:approved' : 'enrolment:denied', r.hostname, `request ${r.id} from ${r.peer}`);
    return jsonResponse(200, r satisfies EnrolmentRequest);
  }
  if (p === '/api/v1/audit' && method === 'GET') {
    const limit = /^\d{1,5}$/.test(url.searchParams.get('limit') ?? '')
      ? Number(url.searchParams.get('limit'))
      : 200;
    const node = url.searchParams.get('node');
    return jsonResponse(200, {
      events: await backend.reader.auditEvents({
        limit,
        ...(node && isHostname(node) ? { hostname: node } : {}),
      }),
    } satisfies AuditTrail);
  }
  return null;
}
