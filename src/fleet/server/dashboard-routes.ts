// Serves the dashboard's static files (page, script, style, icon); they hold no data (the page fetches
// the API with the admin token).
import {
  DASHBOARD_CSS,
  DASHBOARD_HTML,
  DASHBOARD_ICON,
  DASHBOARD_JS,
} from '../dashboard/assets.generated.js';
import type { ApiResponse } from './app.js';
import { SECURITY_HEADERS as ALWAYS } from './responses.js';

/**
 * No inline script or style, no other origin: even if a node's hostname slipped past the page's text-only
 * rendering, the browser would refuse to run it (CSP Level 3, W3C). The page is never framed.
 */
const SECURITY_HEADERS = {
  ...ALWAYS,
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const FILES: Record<string, [string, string]> = {
  '/': ['text/html; charset=utf-8', DASHBOARD_HTML],
  '/assets/dashboard.js': ['text/javascript; charset=utf-8', DASHBOARD_JS],
  '/assets/dashboard.css': ['text/css; charset=utf-8', DASHBOARD_CSS],
  // Declared by the page, so a browser never asks for /favicon.ico, which (like every other path) needs the admin
  // token: each page load logged a 401 in the console.
  '/assets/icon.svg': ['image/svg+xml', DASHBOARD_ICON],
};

export function dashboardRoute(method: string, pathname: string): ApiResponse | null {
  const f = FILES[pathname];
  if (!f || (method !== 'GET' && method !== 'HEAD')) return null;
  return {
    status: 200,
    headers: { 'content-type': f[0], ...SECURITY_HEADERS },
    body: method === 'HEAD' ? '' : f[1],
  };
}
