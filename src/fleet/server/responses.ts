// Every answer of the fleet server carries the same security headers; JSON answers are built here.
import type { ErrorAnswer } from '../../schema/fleet-api.js';
import type { ApiResponse } from './app.js';

/**
 * On every response, data or error, API or page: never cached (no-store: node lists and tokens must not sit in a
 * proxy or browser cache), never sniffed as another type (nosniff), never framed, no referrer leaked. The API's
 * own CSP forbids everything; the dashboard's pages set their own (dashboard-routes.ts).
 */
export const SECURITY_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

export const jsonResponse = (
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): ApiResponse => ({
  status,
  headers: { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body) + '\n',
});

export const errorResponse = (status: number, message: string, headers: Record<string, string> = {}) =>
  jsonResponse(status, { error: message } satisfies ErrorAnswer, headers);
