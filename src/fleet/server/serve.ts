// Serves the fleet app over node:http: the head decides, bodies only of authorised requests, bounded in bytes,
// connections and time; every response with the security headers; one JSON line per request.
import * as http from 'node:http';
import { isIP } from 'node:net';
import type { ApiResponse, FleetApp, Prepared } from './app.js';
import { errorResponse, SECURITY_HEADERS } from './responses.js';

export interface ServeOptions {
  /** Open connections at most (default 1024); more are closed as they arrive. */
  maxConnections?: number;
  /** Open connections per client address (default 256; not applied to trusted proxies). */
  maxConnectionsPerPeer?: number;
  /** Proxies whose X-Forwarded-For names the client (its last entry: the address the proxy saw). */
  trustProxy?: string[];
  /** Time for the request head (default 10 s) and for the whole request with its body (default 60 s). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Time to answer once the body is in (default 30 s): then 503, whatever is still running. */
  handlerTimeoutMs?: number;
  /** Bytes of request bodies held at once, all requests together (default 256 MiB); past it, 503. */
  maxBodyBytesInFlight?: number;
  requestLog?: (entry: Record<string, unknown>) => void;
}

const norm = (a: string | undefined) => (a ?? '').replace(/^::ffff:/, '');

/** The client's address; behind a trusted proxy, the last X-Forwarded-For entry (the one that proxy appended). */
function peerOf(req: http.IncomingMessage, trusted: Set<string>): string {
  const direct = norm(req.socket.remoteAddress);
  const xff = req.headers['x-forwarded-for'];
  if (!trusted.has(direct) || typeof xff !== 'string') return direct;
  const last = norm(xff.split(',').pop()?.trim());
  return isIP(last) ? last : direct;
}

function timeout<T>(p: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback()), ms))),
  ]);
}

export function serveApp(
  app: FleetApp,
  host: string,
  port: number,
  opts: ServeOptions = {},
): Promise<http.Server> {
  const trusted = new Set((opts.trustProxy ?? []).map(norm));
  const perPeer = opts.maxConnectionsPerPeer ?? 256;
  const handlerMs = opts.handlerTimeoutMs ?? 30_000;
  const budget = opts.maxBodyBytesInFlight ?? 256 * 1024 * 1024;
  let inFlight = 0;
  const connections = new Map<string, number>();

  const server = http.createServer((req, res) => {
    const t0 = process.hrtime.bigint();
    const peer = peerOf(req, trusted);
    let principal: string | null = null;
    let route = `${req.method ?? 'GET'} ${(req.url ?? '/').split('?')[0]!.slice(0, 200)}`;
    let bytesIn = 0;
    let bytesOut = 0;
    const cl = req.headers['content-length'];
    const declared = cl === undefined ? null : Number(cl);
    // A body follows the head: its bytes, or chunks of unknown total.
    const hasBody = declared === null ? req.headers['transfer-encoding'] !== undefined : declared > 0;
    res.once('close', () =>
      opts.requestLog?.({
        time: new Date().toISOString(),
        log: 'request',
        peer,
        node: principal,
        route,
        status: res.statusCode,
        bytes_in: bytesIn,
        bytes_out: bytesOut,
        ms: Math.round(Number(process.hrtime.bigint() - t0) / 1e4) / 100,
        ...(res.writableFinished ? {} : { aborted: true }),
      }),
    );
    /** Answers; with `close`, the connection ends after the answer and an unread body is never read into memory. */
    const send = (r: ApiResponse, close = false) => {
      if (res.headersSent) return;
      const body = Buffer.from(r.body, 'utf8');
      bytesOut = body.length;
      res.writeHead(r.status, {
        ...SECURITY_HEADERS,
        ...r.headers,
        'content-length': String(body.length),
        ...(close ? { connection: 'close' } : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const failed = (e: unknown) => {
      opts.requestLog?.({
        time: new Date().toISOString(),
        log: 'error',
        route,
        message: String(e).split('\n')[0],
      });
      send(errorResponse(500, 'internal error'), true);
    };
    timeout(
      app.prepare({ method: req.method ?? 'GET', url: req.url ?? '/', headers, peer }),
      handlerMs,
      (): Prepared => ({
        principal: null,
        route,
        response: errorResponse(503, 'timed out', { 'retry-after': '5' }),
      }),
    )
      .then((p) => {
        principal = p.principal;
        route = p.route;
        // Refused on the head (no token, wrong token, rate limit): the body, if any, is never read.
        if ('response' in p) return send(p.response, hasBody);
        const limit = p.bodyLimit;
        if (declared !== null && (!Number.isSafeInteger(declared) || declared > limit))
          return send(errorResponse(413, `body larger than ${limit} bytes`), true);
        const reserve = declared ?? limit;
        if (hasBody && inFlight + reserve > budget)
          return send(
            errorResponse(503, 'too many request bodies in flight; try again shortly', {
              'retry-after': '2',
            }),
            true,
          );
        inFlight += hasBody ? reserve : 0;
        let released = false;
        const release = () => {
          if (!released && hasBody) inFlight -= reserve;
          released = true;
        };
        const chunks: Buffer[] = [];
        let refused = false;
        req.on('data', (c: Buffer) => {
          if (refused) return;
          bytesIn += c.length;
          if (bytesIn > limit) {
            refused = true;
            chunks.length = 0;
            release();
            send(errorResponse(413, `body larger than ${limit} bytes`), true);
            return;
          }
          chunks.push(c);
        });
        req.once('error', release);
        res.once('close', release);
        req.once('end', () => {
          if (refused) return;
          const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytesIn);
          chunks.length = 0;
          timeout(p.handle(body), handlerMs, () => errorResponse(503, 'timed out', { 'retry-after': '5' }))
            .then((r) => {
              release();
              send(r);
            })
            .catch(failed);
        });
      })
      .catch(failed);
  });
  server.maxConnections = opts.maxConnections ?? 1024;
  server.headersTimeout = opts.headersTimeoutMs ?? 10_000;
  server.requestTimeout = opts.requestTimeoutMs ?? 60_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 100;
  // A connection idle this long (no request at all) is closed.
  server.timeout = 120_000;
  server.on('connection', (socket) => {
    const a = norm(socket.remoteAddress);
    if (trusted.has(a)) return;
    const n = (connections.get(a) ?? 0) + 1;
    connections.set(a, n);
    socket.once('close', () => {
      const left = (connections.get(a) ?? 1) - 1;
      if (left > 0) connections.set(a, left);
      else connections.delete(a);
    });
    if (n > perPeer) socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
