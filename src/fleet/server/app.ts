// The fleet HTTP API and dashboard as a request handler in two steps: decide on the head (who, which route, how many
// bytes), then handle the body. The server reads a body only for a request the head already authorised.
import { isUtf8 } from 'node:buffer';
import type { Enrolled, EnrolmentHeld } from '../../schema/fleet-api.js';
import { hostnameProblem } from '../hostname.js';
import type { FleetStore } from '../store/fleet-store.js';
import type { AuditEvent, EnrolOutcome, ReenrolPolicy } from '../store/node-identity.js';
import { StorageError } from '../store/sql-driver.js';
import { MAX_REPORT_BYTES } from '../validate-report.js';
import { adminRoute } from './admin-routes.js';
import { LocalBackend, type FleetBackend } from './backend.js';
import { dashboardRoute } from './dashboard-routes.js';
import { renderFleetMetrics } from './metrics.js';
import { RateLimiter } from './rate-limit.js';
import { readRoute } from './read-routes.js';
import { errorResponse, jsonResponse, SECURITY_HEADERS } from './responses.js';
import { bearer, hashToken, newToken, sameSecret } from './tokens.js';

export interface ApiRequest {
  method: string;
  url: string;
  headers: Record<string, string | undefined>;
  body: Buffer;
  peer?: string;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RequestHead {
  method: string;
  url: string;
  headers: Record<string, string | undefined>;
  /** The client's address (or, behind a trusted proxy, the address the proxy names). */
  peer: string;
}

/** Who the request is (a node's host name, "admin", "metrics") and its route, for the request log. */
interface Known {
  principal: string | null;
  route: string;
}

export type Prepared = Known &
  ({ response: ApiResponse } | { bodyLimit: number; handle: (body: Buffer) => Promise<ApiResponse> });

export interface AppConfig {
  adminToken: string;
  enrollSecret: string;
  /** A token for /metrics alone, so a Prometheus scraper does not hold the admin token. */
  metricsToken?: string;
  /** A node is stale after this long without a report. */
  staleMs: number;
  /** A second enrolment of a known host name: refused (default) or held for an administrator's approval. */
  reenrol?: ReenrolPolicy;
  /** How long an approved or re-keyed node may take to enrol again (default 24 h). */
  rekeyWindowMs?: number;
  /** Enrolments per peer address: refill per minute and burst (default 30 and 60); null: unlimited. */
  enrolRate?: { perMinute: number; burst: number } | null;
  /** Reports waiting for the writer beyond which more are refused with 503 (default 4096). */
  maxBacklog?: number;
  /**
   * Report bytes per node: burst and refill per minute (default 64 MiB and 16 MiB): a node that keeps sending
   * large reports waits (503 and Retry-After, which the node's spool honours) instead of taking the writer from
   * the others. null: unlimited.
   */
  reportBytes?: { perMinute: number; burst: number } | null;
  now?: () => number;
  /** Audit and error events for the server's log (JSON lines); the store keeps the audit trail too. */
  onEvent?: (kind: 'audit' | 'error', entry: Record<string, unknown>) => void;
}

export type FleetApp = ((req: ApiRequest) => Promise<ApiResponse>) & {
  prepare(head: RequestHead): Promise<Prepared>;
  backend: FleetBackend;
};

const ENROL_BODY = 4096;
const ADMIN_BODY = 4096;

/** Enrolment outcomes as HTTP answers: only "enrolled" and "rekeyed" carry a token. */
function enrolAnswer(o: EnrolOutcome, hostname: string, token: string): ApiResponse {
  const iso = (ms: number) => new Date(ms).toISOString();
  switch (o.kind) {
    case 'enrolled':
    case 'rekeyed':
      return jsonResponse(201, { node_token: token } satisfies Enrolled);
    case 'refused-enrolled':
      return errorResponse(
        409,
        `${hostname} is enrolled already (since ${iso(o.since)}); its token stays. An administrator re-keys it: ctrsafe fleet rekey ${hostname}`,
      );
    case 'refused-revoked':
      return errorResponse(
        403,
        `${hostname} was revoked on ${iso(o.since)}; an administrator re-keys it: ctrsafe fleet rekey ${hostname}`,
      );
    case 'held':
      return jsonResponse(202, {
        error: `${hostname} is enrolled already; this enrolment waits for an administrator's approval (request ${o.request})`,
        request: o.request,
      } satisfies EnrolmentHeld);
    case 'refused-queue-full':
      return errorResponse(503, 'too many enrolment requests wait for approval; try later', {
        'retry-after': '300',
      });
  }
}

/** Repeated refusals (a flood) are recorded once a minute per kind, node and address, with how many there were. */
class AuditThrottle {
  private readonly seen = new Map<string, { at: number; more: number }>();
  constructor(private readonly windowMs = 60_000) {}
  pass(e: AuditEvent): AuditEvent | null {
    const key = `${e.action}\u0000${e.hostname ?? ''}\u0000${e.peer ?? ''}`;
    const s = this.seen.get(key);
    if (s && e.at - s.at < this.windowMs) {
      s.more++;
      return null;
    }
    if (this.seen.size > 10_000) this.seen.clear();
    this.seen.set(key, { at: e.at, more: 0 });
    return s?.more
      ? { ...e, detail: `${e.detail ? `${e.detail}; ` : ''}${s.more} more like it before this` }
      : e;
  }
}

export function createApp(store: FleetStore | FleetBackend, cfg: AppConfig): FleetApp {
  const backend: FleetBackend = 'submitReport' in store ? store : new LocalBackend(store);
  const reader = backend.reader;
  const now = cfg.now ?? Date.now;
  const policy = cfg.reenrol ?? 'refuse';
  const limiter =
    cfg.enrolRate === null
      ? null
      : new RateLimiter(cfg.enrolRate?.perMinute ?? 30, cfg.enrolRate?.burst ?? 60);
  const throttle = new AuditThrottle();
  const rb =
    cfg.reportBytes === undefined
      ? { perMinute: 16 * 1024 * 1024, burst: 64 * 1024 * 1024 }
      : cfg.reportBytes;
  const nodeBytes = rb ? new RateLimiter(rb.perMinute, rb.burst) : null;
  const maxBacklog = cfg.maxBacklog ?? 4096;
  const event = (kind: 'audit' | 'error', entry: Record<string, unknown>) => cfg.onEvent?.(kind, entry);
  const logAudit = (e: AuditEvent) => event('audit', { ...e, at: new Date(e.at).toISOString() });
  /** An event the app itself decides (no store call carries it): throttled, then logged and stored. */
  const audit = async (e: AuditEvent) => {
    const passed = throttle.pass(e);
    if (!passed) return;
    logAudit(passed);
    await backend.audit(passed).catch(() => undefined);
  };
  const tokenIs = (header: string | undefined, expected: string | undefined) => {
    const t = bearer(header);
    return t !== null && expected !== undefined && sameSecret(t, expected);
  };

  /** Storage failures answer 503 with their cause (and are logged); anything else is a bug: 500. */
  const guard =
    (route: string, fn: (body: Buffer) => Promise<ApiResponse>) =>
    async (body: Buffer): Promise<ApiResponse> => {
      try {
        return await fn(body);
      } catch (e) {
        if (e instanceof StorageError) {
          event('error', { route, storage: e.code, message: e.message });
          return errorResponse(503, `storage unavailable: ${e.message}`, { 'retry-after': '5' });
        }
        event('error', { route, message: (e as Error)?.message?.split('\n')[0] ?? String(e) });
        return errorResponse(500, 'internal error');
      }
    };

  const enrol = async (head: RequestHead, body: Buffer): Promise<ApiResponse> => {
    let b: { hostname?: unknown; secret?: unknown };
    try {
      if (!isUtf8(body)) throw new Error('not UTF-8');
      b = JSON.parse(body.toString('utf8')) as typeof b;
    } catch {
      return errorResponse(400, 'body is not JSON');
    }
    if (typeof b?.secret !== 'string') return errorResponse(400, 'hostname and secret are required');
    const bad = hostnameProblem(b.hostname);
    const at = now();
    if (!sameSecret(b.secret, cfg.enrollSecret)) {
      await audit({
        at,
        actor: 'node',
        action: 'enrol:refused-secret',
        hostname: bad ? null : (b.hostname as string),
        peer: head.peer,
      });
      return errorResponse(403, 'wrong enrolment secret');
    }
    if (bad) {
      await audit({ at, actor: 'node', action: 'enrol:refused-hostname', peer: head.peer, detail: bad });
      return errorResponse(400, `hostname refused: ${bad}`);
    }
    const hostname = b.hostname as string;
    const token = newToken();
    const outcome = await backend.enrol(hostname, hashToken(token), head.peer, at, policy);
    logAudit({
      at,
      actor: 'node',
      action: `enrol:${outcome.kind}`,
      hostname,
      peer: head.peer,
      detail: outcome.kind === 'held' ? `request ${outcome.request}` : null,
    });
    return enrolAnswer(outcome, hostname, token);
  };

  const prepare = async (head: RequestHead): Promise<Prepared> => {
    const url = new URL(head.url, 'http://ctrsafe.invalid');
    const route = `${head.method} ${url.pathname}`;
    if (route === 'POST /api/v1/enroll') {
      // Limited per address before a byte of the body is read: guessing the secret, or flooding the audit trail,
      // costs the guesser time.
      const limited = limiter?.take(head.peer, now());
      if (limited && !limited.ok) {
        await audit({ at: now(), actor: 'node', action: 'enrol:refused-rate', peer: head.peer });
        return {
          principal: null,
          route,
          response: errorResponse(429, 'too many enrolments from this address; wait and try again', {
            'retry-after': String(Math.ceil(limited.retryAfterMs / 1000)),
          }),
        };
      }
      return { principal: null, route, bodyLimit: ENROL_BODY, handle: guard(route, (b) => enrol(head, b)) };
    }
    if (route === 'POST /api/v1/reports') {
      const t = bearer(head.headers.authorization);
      let host: string | null = null;
      try {
        host = t ? await reader.hostOfToken(hashToken(t)) : null;
      } catch (e) {
        return {
          principal: null,
          route,
          response: await guard(route, () => Promise.reject(e))(Buffer.alloc(0)),
        };
      }
      // Authenticated on the head alone: an unknown token never gets its body read.
      if (!host)
        return { principal: null, route, response: errorResponse(401, 'a valid node token is required') };
      if (backend.backlog() >= maxBacklog)
        return {
          principal: host,
          route,
          response: errorResponse(503, 'the server is busy storing reports; try again shortly', {
            'retry-after': '5',
          }),
        };
      // Charged on the announced length before the body is read (a body without one, after it is read).
      const declared = Number(head.headers['content-length'] ?? NaN);
      const spent = Number.isSafeInteger(declared) ? nodeBytes?.take(host, now(), declared) : undefined;
      if (spent && !spent.ok)
        return {
          principal: host,
          route,
          response: errorResponse(503, `${host} sent more report bytes than its share; try again later`, {
            'retry-after': String(Math.ceil(spent.retryAfterMs / 1000)),
          }),
        };
      const tokenHost = host;
      return {
        principal: host,
        route,
        bodyLimit: MAX_REPORT_BYTES,
        handle: guard(route, async (body) => {
          if (!Number.isSafeInteger(declared)) nodeBytes?.take(tokenHost, now(), body.length);
          const a = await backend.submitReport(tokenHost, body, now());
          if (a.audit)
            logAudit({ at: now(), actor: 'node', hostname: tokenHost, peer: head.peer, ...a.audit });
          return jsonResponse(a.status, a.body);
        }),
      };
    }
    const page = dashboardRoute(head.method, url.pathname);
    if (page) return { principal: null, route, response: page };
    if (route === 'GET /metrics') {
      const m = tokenIs(head.headers.authorization, cfg.metricsToken);
      if (!m && !tokenIs(head.headers.authorization, cfg.adminToken))
        return {
          principal: null,
          route,
          response: errorResponse(401, 'the metrics or admin token is required'),
        };
      const principal = m ? 'metrics' : 'admin';
      return {
        principal,
        route,
        bodyLimit: 0,
        handle: guard(route, async () => ({
          status: 200,
          headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
          body: renderFleetMetrics(await reader.summary(now(), cfg.staleMs)),
        })),
      };
    }
    if (!tokenIs(head.headers.authorization, cfg.adminToken))
      return { principal: null, route, response: errorResponse(401, 'the admin token is required') };
    return {
      principal: 'admin',
      route,
      bodyLimit: head.method === 'GET' ? 0 : ADMIN_BODY,
      handle: guard(route, async (body) => {
        if (head.method === 'GET') {
          const r = await readRoute(reader, url, now(), cfg.staleMs);
          if (r) return r;
        }
        const a = await adminRoute(backend, head.method, url, body, {
          now: now(),
          peer: head.peer,
          rekeyWindowMs: cfg.rekeyWindowMs ?? 24 * 3600_000,
          log: logAudit,
        });
        return a ?? errorResponse(404, 'no such route');
      }),
    };
  };

  const app = (async (req: ApiRequest): Promise<ApiResponse> => {
    const p = await prepare({
      method: req.method,
      url: req.url,
      headers: req.headers,
      peer: req.peer ?? 'local',
    });
    if ('response' in p) return p.response;
    if (req.body.length > p.bodyLimit) return errorResponse(413, `body larger than ${p.bodyLimit} bytes`);
    return p.handle(req.body);
  }) as FleetApp;
  app.prepare = prepare;
  app.backend = backend;
  return app;
}
