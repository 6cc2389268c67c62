// Serves the fleet app over node:http: bounded bodies, a request deadline, loopback by default.
import * as http from 'node:http';
import { MAX_REPORT_BYTES } from '../validate-report.js';
import type { ApiRequest, ApiResponse } from './app.js';

export function serveApp(
  app: (req: ApiRequest) => Promise<ApiResponse>,
  host: string,
  port: number,
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (c: Buffer) => {
      if (refused) return;
      size += c.length;
      if (size > MAX_REPORT_BYTES) {
        refused = true;
        // Answer at once and drop the rest as it arrives, so the client reads the 413 instead of a reset.
        res
          .writeHead(413, { 'content-type': 'application/json', connection: 'close' })
          .end('{"error":"body larger than 16 MiB"}\n');
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (refused) return;
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      app({ method: req.method ?? 'GET', url: req.url ?? '/', headers, body: Buffer.concat(chunks) })
        .then((r) => res.writeHead(r.status, r.headers).end(r.body))
        .catch(() =>
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal error"}\n'),
        );
    });
  });
  server.requestTimeout = 60_000;
  server.headersTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
