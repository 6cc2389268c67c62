// Debian's Chromium driven by playwright-core (recipes.md), and the fleet dashboard served to it on loopback.
import type { Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { createApp } from '../../src/fleet/server/app.js';
import { serveApp } from '../../src/fleet/server/serve.js';
import type { FleetStore } from '../../src/fleet/store/fleet-store.js';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** The fleet server on a free loopback port over `store`, and a browser; close() stops both (not the store). */
export async function serveDashboard(
  store: FleetStore,
  adminToken: string,
  staleMs: number,
): Promise<{ base: string; browser: Browser; close(): Promise<void> }> {
  const app = createApp(store, { adminToken, enrollSecret: 'x'.repeat(32), staleMs });
  const server: Server = await serveApp(app, '127.0.0.1', 0);
  const browser = await launchChromium();
  return {
    base: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    browser,
    close: async () => {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };
}
