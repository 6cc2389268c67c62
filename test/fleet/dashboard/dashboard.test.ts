// The dashboard in a real browser (Debian's chromium driven by playwright-core): loads, filters, pages, opens a node,
// shows the patch plan, exports, and runs no script that a node smuggled into its hostname, kernel or evidence.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { serveDashboard } from '../../helpers/chromium.js';
import type { FleetStore } from '../../../src/fleet/store/fleet-store.js';
import { ingestAs, seedFleet } from '../../helpers/seed-fleet.js';
import { openDriver, openStore } from '../../../src/fleet/store/open-store.js';

const ADMIN = 'admin-token-for-dashboard-tests-0123';
const XSS_HOST = '<img src=x onerror=alert(1)>';
const XSS_KERNEL = `5.15.0-91-generic"'><script>alert(2)</script>`;
const FORMULA_HOST = '=HYPERLINK("http://evil.invalid")';
const DAY = 86_400_000;
const SHOTS = process.env.CTRSAFE_SCREENSHOTS;

let store: FleetStore;
let dash: Awaited<ReturnType<typeof serveDashboard>> | undefined;
let browser: Browser;
let base: string;
let total = 0;
const alerts: string[] = [];
const pageErrors: string[] = [];

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
  page.on('dialog', (d) => {
    alerts.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${base}/`);
  await page.fill('input[name=token]', ADMIN);
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('.cards');
  return page;
}

const shot = async (page: Page, name: string) => {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
};

describe('dashboard in chromium', () => {
  before(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-dash-'));
    const dbFile = path.join(dir, 'fleet.db');
    store = await openStore(`sqlite:${dbFile}`);
    const now = Date.now();
    total = await seedFleet(
      store,
      [
        ['cn', 177, 'rocky9'],
        ['gpu', 16, 'apptainer-setuid'],
        ['old', 24, 'centos7-default'],
        ['login', 2, 'ubuntu2204'],
        ['sles', 4, 'sles11sp3'],
      ],
      now,
    );
    // Three nodes went silent three days ago: stale at a one-day interval.
    for (const h of ['cn178', 'cn179', 'cn180'])
      await ingestAs(store, h, 'rocky9', { generatedAt: now - 3 * DAY, receivedAt: now - 3 * DAY });
    total += 3;
    // gpu001 was patched: its kernel changed and the kernel vulnerability is gone (drift).
    await ingestAs(store, 'gpu001', 'apptainer-setuid', {
      generatedAt: now,
      receivedAt: now,
      edit: (r) => {
        (r.host as { kernel: { release: string } }).kernel.release = '5.15.0-125-generic';
        r.vulnerabilities = (r.vulnerabilities as { target: string; status: string }[]).filter(
          (v) => !(v.target === 'kernel' && v.status === 'affected'),
        );
      },
    });
    await ingestAs(store, 'xss001', 'ubuntu2204', {
      generatedAt: now,
      receivedAt: now,
      edit: (r) => {
        (r.host as { kernel: { release: string } }).kernel.release = XSS_KERNEL;
        for (const f of r.findings as { status: string; evidence: string }[])
          if (f.status === 'fail') f.evidence = `<script>alert(3)</script><b onmouseover=alert(4)>x</b>`;
      },
    });
    await ingestAs(store, 'formula001', 'rocky9', { generatedAt: now, receivedAt: now });
    total += 2;
    // Host names are validated on every path now (src/fleet/hostname.ts); a database written before that may
    // still hold any string as a name, and the page must show it as text. Renamed in place, as such a row would be.
    const raw = await openDriver(`sqlite:${dbFile}`);
    for (const [from, to] of [
      ['xss001', XSS_HOST],
      ['formula001', FORMULA_HOST],
    ])
      for (const t of ['nodes', 'node_reports', 'node_actions', 'transitions'])
        await raw.run(`UPDATE ${t} SET hostname = ? WHERE hostname = ?`, [to, from]);
    await raw.close();
    dash = await serveDashboard(store, ADMIN, DAY);
    ({ base, browser } = dash);
  });

  after(async () => {
    await dash?.close();
    await store?.close();
  });

  test('a wrong token is refused at sign-in', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    await page.fill('input[name=token]', 'not-the-admin-token');
    await page.click('form.signin button[type=submit]');
    await page.waitForSelector('text=That token was refused.');
    assert.equal(await page.locator('.cards').count(), 0);
    await page.close();
  });

  test('overview: cards with the real counts, readiness, plan, kernels, rules, vulnerabilities', async () => {
    const page = await newPage();
    const card = (i: number) => page.locator('.card .num').nth(i).textContent();
    assert.equal(await card(0), String(total));
    assert.equal(await card(1), '3', 'three stale nodes');
    const summary = await store.summary(Date.now(), DAY);
    assert.equal(await card(3), summary.vulnerable_nodes.toLocaleString('en-US'));
    for (const h of [
      'Readiness per runtime',
      'Patch plan: the top 5',
      'Kernels by family and version',
      'Nodes affected, by advisory severity',
      'Top failing rules',
      'Vulnerabilities by affected nodes',
    ])
      assert.equal(await page.locator('h2', { hasText: h }).count(), 1, h);
    // The table behind the readiness chart holds the store's counts (ready, degraded, blocked, ...).
    const apptainerRow = page.locator('#chart-readiness details tr', { hasText: 'apptainer' });
    const degraded = summary.verdicts.apptainer?.degraded ?? 0;
    assert.match(
      (await apptainerRow.locator('td').nth(2).textContent()) ?? '',
      new RegExp(`^${degraded} \\(`),
    );
    await shot(page, 'overview');
    // A card leads to the filtered node table.
    await page.click('.card:has-text("stale nodes")');
    await page.waitForSelector('text=of 3 nodes');
    assert.deepEqual(await page.locator('table.nodes tbody tr td:first-child').allTextContents(), [
      'cn178',
      'cn179',
      'cn180',
    ]);
    await page.close();
  });

  test('nodes: filter, page through 200+ nodes, open one with its history', async () => {
    const page = await newPage();
    await page.click('nav >> text=Nodes');
    await page.waitForSelector(`text=1–100 of ${total} nodes`);
    await page.click('button:has-text("Next →")');
    await page.waitForSelector(`text=101–200 of ${total} nodes`);
    assert.equal(await page.locator('table.nodes tbody tr').count(), 100);
    await page.fill('input[name=search]', 'gpu');
    await page.click('form.filters button[type=submit]');
    await page.waitForSelector('text=1–16 of 16 nodes');
    await shot(page, 'nodes');
    await page.click('table.nodes a:text("gpu001")');
    await page.waitForSelector('h1:has-text("gpu001")');
    assert.equal(await page.locator('h2', { hasText: 'Runtimes' }).count(), 1);
    const history = page.locator('section:has(h2:text("History")) li', { hasText: 'kernel' });
    assert.match((await history.textContent()) ?? '', /5\.15\.0-91-generic.*5\.15\.0-125-generic/);
    await shot(page, 'node');
    await page.close();
  });

  test('patch plan: grouped with hostlists, most risk first, linked to its nodes', async () => {
    const page = await newPage();
    await page.click('nav >> text=Patch plan');
    await page.waitForSelector('table.plan tbody tr');
    const plan = await store.plan({ offset: 0, limit: 50 });
    assert.ok(plan.items.length > 0);
    const first = page.locator('table.plan tbody tr').first();
    assert.equal(await first.locator('td').nth(2).textContent(), plan.items[0]!.title);
    assert.equal(await first.locator('td').nth(4).locator('code').textContent(), plan.items[0]!.hostlist);
    const weights = plan.items.map((i) => i.weight);
    assert.deepEqual(
      weights,
      [...weights].sort((a, b) => b - a),
      'ordered by risk removed',
    );
    const kernelRow = page.locator('table.plan tbody tr', {
      hasText: 'Update the kernel (Ubuntu:22.04:LTS/linux) to at least',
    });
    assert.ok((await kernelRow.count()) >= 1, 'the Apptainer nodes on 5.15.0-91 need a kernel update');
    await shot(page, 'plan');
    const n = plan.items[0]!.nodes;
    await first.locator('td').nth(3).locator('a').click();
    await page.waitForSelector(`text=of ${n} nodes`);
    await page.close();
  });

  test('exports: CSV of the filtered node table, formulas defused', async () => {
    const page = await newPage();
    await page.goto(`${base}/#/nodes?search=HYPERLINK`);
    await page.waitForSelector('text=1–1 of 1 nodes');
    const [dl] = await Promise.all([
      page.waitForEvent('download'),
      page.click('button:has-text("Export CSV")'),
    ]);
    const csv = fs.readFileSync((await dl.path())!, 'utf8');
    const lines = csv.trim().split('\r\n');
    assert.equal(
      lines[0],
      'hostname,kernel_release,os,fail_critical,fail_high,vulns_affected,generated_at,received_at,stale',
    );
    assert.equal(lines.length, 2);
    assert.ok(lines[1]!.startsWith(`"'=HYPERLINK(""http://evil.invalid"")","`), lines[1]);
    await page.close();
  });

  test('untrusted strings from nodes are shown as text and run no script', async () => {
    const page = await newPage();
    await page.goto(`${base}/#/nodes?search=${encodeURIComponent('<img')}`);
    await page.waitForSelector('text=1–1 of 1 nodes');
    const link = page.locator('table.nodes tbody a').first();
    assert.equal(await link.textContent(), XSS_HOST);
    assert.equal(
      await page.locator('main img, main script, main b').count(),
      0,
      'no element was made from node data',
    );
    await link.click();
    await page.waitForSelector('section:has(h2:text("Failing rules"))');
    assert.equal(await page.locator('h1').first().textContent(), `${XSS_HOST} `);
    assert.equal(await page.locator('dl.facts code').first().textContent(), XSS_KERNEL);
    assert.match(
      (await page.locator('section:has(h2:text("Failing rules")) tbody').textContent()) ?? '',
      /<script>alert\(3\)<\/script>/,
    );
    assert.equal(await page.locator('main img, main script, main b').count(), 0);
    await page.goto(`${base}/#/drift`);
    await page.waitForSelector('h1:text("Drift")');
    await page.close();
    assert.deepEqual(alerts, [], 'no dialog opened');
    assert.deepEqual(pageErrors, [], 'no script error');
  });
});
