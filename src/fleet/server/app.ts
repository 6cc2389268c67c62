// The fleet HTTP API and dashboard as a plain request handler (tested in-process): enrolment, reports, reads, metrics.
import type { FleetStore } from '../store/fleet-store.js';
import { validateReport } from '../validate-report.js';
import { dashboardRoute } from './dashboard-routes.js';
import { renderFleetMetrics } from './metrics.js';
import { jsonResponse, readRoute } from './read-routes.js';
import { bearer, hashToken, newToken, sameSecret } from './tokens.js';

export interface ApiRequest {
  method: string;
  url: string;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface AppConfig {
  adminToken: string;
  enrollSecret: string;
  /** A node is stale after this long without a report. */
  staleMs: number;
  now?: () => number;
}

const json = jsonResponse;
const error = (status: number, message: string) => json(status, { error: message });

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

export function createApp(store: FleetStore, cfg: AppConfig): (req: ApiRequest) => Promise<ApiResponse> {
  const now = cfg.now ?? Date.now;
  const isAdmin = (req: ApiRequest) => {
    const t = bearer(req.headers.authorization);
    return t !== null && sameSecret(t, cfg.adminToken);
  };
  return async (req) => {
    const url = new URL(req.url, 'http://ctrsafe.invalid');
    const route = `${req.method} ${url.pathname}`;
    if (route === 'POST /api/v1/enroll') {
      const p = parseJson(req.body);
      if (!p.ok) return error(400, 'body is not JSON');
      const b = p.value as { hostname?: unknown; secret?: unknown };
      if (
        typeof b.hostname !== 'string' ||
        b.hostname.length === 0 ||
        b.hostname.length > 253 ||
        typeof b.secret !== 'string'
      )
        return error(400, 'hostname and secret are required');
      if (!sameSecret(b.secret, cfg.enrollSecret)) return error(403, 'wrong enrolment secret');
      const token = newToken();
      await store.setNodeToken(b.hostname, hashToken(token), now());
      return json(201, { node_token: token });
    }
    if (route === 'POST /api/v1/reports') {
      const t = bearer(req.headers.authorization);
      const host = t ? await store.hostOfToken(hashToken(t)) : null;
      if (!host) return error(401, 'a valid node token is required');
      const p = parseJson(req.body);
      if (!p.ok) return error(400, 'body is not JSON');
      const v = validateReport(p.value, now());
      if (!v.ok) return error(422, v.reason);
      // A node may only report for itself: another host's report with this token is refused.
      if (v.report.host.hostname !== host)
        return error(403, `this token belongs to ${host}, not ${v.report.host.hostname.slice(0, 253)}`);
      const r = await store.ingest(v.report, now());
      return json(r.note === 'duplicate' ? 200 : 201, {
        stored: r.stored,
        ...(r.note ? { note: r.note } : {}),
        report_id: v.report.report_id,
      });
    }
    const page = dashboardRoute(req.method, url.pathname);
    if (page) return page;
    if (!isAdmin(req)) return error(401, 'the admin token is required');
    if (req.method === 'GET') {
      const r = await readRoute(store, url, now(), cfg.staleMs);
      if (r) return r;
    }
    if (req.method === 'DELETE' && /^\/api\/v1\/nodes\/[^/]+\/token$/.test(url.pathname)) {
      const hostname = decodeURIComponent(url.pathname.split('/')[4]!);
      return (await store.revokeNodeToken(hostname, now()))
        ? json(200, { revoked: hostname })
        : error(404, 'no live token for that node');
    }
    if (route === 'GET /metrics')
      return {
        status: 200,
        headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
        body: renderFleetMetrics(await store.summary(now(), cfg.staleMs)),
      };
    return error(404, 'no such route');
  };
}
