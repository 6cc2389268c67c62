// The dashboard's pictures in real Chromium (issue 18): the overview fits one 1920x1080 screen with every chart,
// each chart has a text alternative and a table, links and focus work from the keyboard, nothing overflows at
// 1920x1080 or 390x844, ids and host names never break across lines, and the CSP reports no violation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { serveDashboard } from '../../helpers/chromium.js';
import type { FleetStore } from '../../../src/fleet/store/fleet-store.js';
import { openStore } from '../../../src/fleet/store/open-store.js';
import { ingestAs } from '../../helpers/seed-fleet.js';
import { DEVICES_SKIP } from '../../helpers/layered-host.js';
import { deviceMatrix } from '../../../src/fleet/node-grid.js';

const ADMIN = 'admin-token-for-picture-tests-0123';
const DAY = 86_400_000;
const SHOTS = process.env.CTRSAFE_SCREENSHOTS;
const XSS_KERNEL = `6.6.6-"><script>alert(1)</script>`;

/** A cluster as sites have them: batch, GPU, legacy and interactive partitions on five distributions. */
const GROUPS: [string, number, string, string[]][] = [
  ['cn', 180, 'rocky9', ['batch']],
  ['gpu', 24, 'apptainer-setuid', ['gpu', 'batch']],
  ['old', 30, 'centos7-default', ['legacy']],
  ['deb', 40, 'debian12', ['batch']],
  ['login', 30, 'ubuntu2204', ['interactive']],
  ['sle', 12, 'sles15sp3', ['legacy']],
];

let store: FleetStore;
let dash: Awaited<ReturnType<typeof serveDashboard>> | undefined;
let browser: Browser;
let base: string;
let total = 0;
const alerts: string[] = [];
/** Every console error of every page, with its page's URL. */
const consoleErrors: string[] = [];

async function open(
  path = '/',
  viewport = { width: 1920, height: 1080 },
  site: { base: string; browser: Browser } = { base, browser },
): Promise<Page> {
  const { base: url } = site;
  const page = await site.browser.newPage({ viewport });
  page.on('dialog', (d) => {
    alerts.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => alerts.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  // Every CSP violation the page meets is kept where the test can read it (securitypolicyviolation, CSP 3 §5.3).
  await page.addInitScript(() => {
    const w = window as unknown as { cspViolations: string[] };
    w.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  await page.goto(`${url}/`);
  await page.fill('input[name=token]', ADMIN);
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('.cards');
  if (path !== '/') {
    await page.goto(`${url}/#${path}`);
  }
  return page;
}

async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
}

/** Elements whose box reaches past the viewport's right edge, outside any box that scrolls on its own. */
async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const vw = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > vw)
      out.push(`the page is ${document.documentElement.scrollWidth}px wide`);
    for (const el of document.querySelectorAll('main *')) {
      let p = el.parentElement;
      let scrolls = false;
      for (; p && p !== document.body; p = p.parentElement)
        if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) scrolls = true;
      const r = el.getBoundingClientRect();
      if (!scrolls && r.width > 0 && r.right > vw + 0.5)
        out.push(`${el.tagName} ${el.className} ends at ${r.right}`);
    }
    return out.slice(0, 10);
  });
}

/** Cells whose symbol does not sit under its column's head (a one-column table showed them a screen apart). */
async function misaligned(page: Page): Promise<string[]> {
  return page.locator('table.matrix').evaluate((t) => {
    const heads = [...t.querySelectorAll('thead th')].map((th) => th.querySelector('a') ?? th);
    const out: string[] = [];
    for (const tr of t.querySelectorAll('tbody tr'))
      [...tr.children].forEach((td, i) => {
        const sym = td.querySelector('.cell');
        if (!sym) return;
        const s = sym.getBoundingClientRect();
        const h = heads[i]!.getBoundingClientRect();
        const mid = s.left + s.width / 2;
        if (mid < h.left || mid > h.right)
          out.push(
            `${tr.firstElementChild!.textContent} col ${i}: symbol at ${mid}, head ${h.left}-${h.right}`,
          );
      });
    return out.slice(0, 5);
  });
}

const shot = async (page: Page, name: string) => {
  // The pointer rests off the charts: a hover outline is not part of the picture.
  await page.mouse.move(1, 1);
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
};

/** A matrix page's end: symbols under their heads, nothing overflowing, its picture, no CSP violation; closed. */
async function matrixDone(page: Page, name: string): Promise<void> {
  assert.deepEqual(await misaligned(page), []);
  assert.deepEqual(await overflowing(page), []);
  await shot(page, name);
  assert.deepEqual(await cspViolations(page), []);
  await page.close();
}

describe('dashboard pictures in chromium', () => {
  before(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-pictures-'));
    store = await openStore(`sqlite:${path.join(dir, 'fleet.db')}`);
    const now = Date.now();
    for (const [prefix, count, fixture, partitions] of GROUPS)
      for (let i = 1; i <= count; i++, total++)
        await ingestAs(store, `${prefix}${String(i).padStart(3, '0')}`, fixture, {
          generatedAt: now - 3600_000 + total,
          receivedAt: now - 3600_000 + total,
          edit: (r) => {
            (r.facts as unknown[]).push({
              id: 'slurm.partitions',
              value: partitions,
              how: 'file',
              evidence: `/etc/slurm/slurm.conf: PartitionName=${partitions.join(', ')}`,
            });
          },
        });
    // 90 days of history: the fleet as seeded 90 days ago, then every ten days 20 more compute nodes patched
    // (the kernel advisories fixed) and rolled up, as the roll-up step would have done on those days.
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    await store.rollup(day(now - 89 * DAY));
    for (let phase = 1; phase <= 8; phase++) {
      for (let i = (phase - 1) * 20 + 1; i <= phase * 20; i++)
        await ingestAs(store, `cn${String(i).padStart(3, '0')}`, 'rocky9', {
          generatedAt: now - 3000_000 + phase * 1000 + i,
          receivedAt: now - 3000_000 + phase * 1000 + i,
          edit: (r) => {
            (r.host as { kernel: { release: string } }).kernel.release = '5.14.0-503.38.1.el9_5.x86_64';
            // Patched: a new kernel and packages, nothing affected any more.
            r.vulnerabilities = (r.vulnerabilities as { status: string }[]).filter(
              (v) => v.status !== 'affected',
            );
            (r.facts as unknown[]).push({
              id: 'slurm.partitions',
              value: ['batch'],
              how: 'file',
              evidence: 'x',
            });
          },
        });
      await store.rollup(day(now - (89 - phase * 10) * DAY));
    }
    await ingestAs(store, 'odd001', 'rocky9', {
      generatedAt: now,
      receivedAt: now,
      edit: (r) => {
        (r.host as { kernel: { release: string } }).kernel.release = XSS_KERNEL;
      },
    });
    total++;
    await store.rollup(day(now));
    dash = await serveDashboard(store, ADMIN, DAY);
    ({ base, browser } = dash);
  });

  after(async () => {
    await dash?.close();
    await store?.close();
  });

  test('overview at 1920x1080: every chart and the top of the plan fit without scrolling, nothing overflows', async () => {
    const page = await open();
    await page.waitForSelector('#chart-plan svg');
    const charts = await page
      .locator('.charts svg.chart')
      .evaluateAll((els) =>
        els.map((e) => ({ id: e.closest('section')!.id, bottom: e.getBoundingClientRect().bottom })),
      );
    assert.deepEqual(
      charts.map((c) => c.id),
      [
        'chart-readiness',
        'chart-severity',
        'chart-kernels',
        'chart-trend-readiness',
        'chart-plan',
        'chart-trend-affected',
      ],
    );
    for (const c of charts) assert.ok(c.bottom <= 1080, `${c.id} ends at ${c.bottom}px, below the screen`);
    assert.deepEqual(await overflowing(page), []);
    // The numbers drawn are the store's.
    const s = await store.summary(Date.now(), DAY);
    assert.equal(await page.locator('.card .num').first().textContent(), String(total));
    const degraded = s.verdicts.apptainer?.degraded ?? 0;
    assert.ok(degraded > 0, 'the fixtures judge Apptainer runnable at high risk on most nodes');
    const tooltip = `apptainer: ${degraded} nodes degraded`;
    assert.equal(await page.locator('#chart-readiness svg title', { hasText: tooltip }).count(), 1, tooltip);
    await shot(page, 'overview');
    assert.deepEqual(await cspViolations(page), []);
    await page.close();
  });

  test('every chart is an image with a text alternative and a table behind it; hostile text stays text', async () => {
    const page = await open();
    await page.waitForSelector('#chart-plan svg');
    const alts = await page.locator('svg.chart').evaluateAll((els) =>
      els.map((e) => ({
        role: e.getAttribute('role'),
        label: (e.getAttribute('aria-labelledby') ?? '')
          .split(' ')
          .map((id) => document.getElementById(id)?.textContent ?? '')
          .join(' '),
        rows: e.closest('section')!.querySelectorAll('details table tbody tr').length,
      })),
    );
    assert.ok(alts.length >= 4);
    for (const a of alts) {
      assert.equal(a.role, 'img');
      assert.ok(a.label.length > 40, `a text alternative: ${a.label}`);
      assert.ok(a.rows > 0, 'a table behind the chart');
    }
    const kernels = (await page.locator('#chart-kernels svg desc').textContent()) ?? '';
    assert.ok(kernels.includes(XSS_KERNEL), 'the hostile kernel release is drawn as text');
    assert.equal(await page.locator('main script, svg script, svg foreignObject').count(), 0);
    assert.deepEqual(alerts, []);
    await page.close();
  });

  test('keyboard: Tab reaches a chart part, Enter opens its filtered node list; ids never wrap', async () => {
    const page = await open();
    await page.waitForSelector('#chart-readiness svg a');
    let inChart = false;
    for (let i = 0; i < 40 && !inChart; i++) {
      await page.keyboard.press('Tab');
      inChart = await page.evaluate(() => !!document.activeElement?.closest('#chart-readiness svg'));
    }
    assert.ok(inChart, 'a readiness part takes the focus');
    const href = await page.evaluate(() => document.activeElement!.getAttribute('href'));
    assert.match(href ?? '', /^#\/(nodes|matrix)\?runtime=/);
    await page.keyboard.press('Enter');
    await page.waitForFunction((h) => location.hash === h, href);
    await page.goto(`${base}/#/`);
    await page.waitForSelector('#chart-plan svg');
    // A CVE id or a host name on one line: an inline box that wraps has more than one client rect.
    const wrapped = await page
      .locator('main code, main .nowrap')
      .evaluateAll((els) => els.filter((e) => e.getClientRects().length > 1).map((e) => e.textContent));
    assert.deepEqual(wrapped, []);
    await page.close();
  });

  test("matrix: a row per node, a column per runtime, each cell the store's verdict with symbol and words", async () => {
    const page = await open('/matrix?partition=gpu');
    await page.waitForSelector('table.matrix tbody tr');
    assert.equal(await page.locator('table.matrix tbody tr').count(), 24, 'the gpu partition: 24 nodes');
    const views = await store.nodeViews({ offset: 0, limit: 1, partition: 'gpu' });
    const first = views.nodes[0]!;
    assert.equal(first.hostname, 'gpu001');
    const col = (await page.locator('table.matrix thead th').allTextContents()).indexOf('apptainer');
    const cell = page.locator('table.matrix tbody tr').first().locator('td, th').nth(col);
    const want = first.runtimes.apptainer!;
    assert.equal(await cell.locator('.cell').getAttribute('class'), `cell v-${want.verdict}`);
    assert.match((await cell.locator('.sr-only').textContent()) ?? '', new RegExp(`^${want.verdict}`));
    await matrixDone(page, 'matrix');
  });

  test('partition grid: partitions from slurm.conf, a cell per node; arrows move the focus, which names the node and why', async () => {
    const page = await open('/grid?runtime=apptainer');
    await page.waitForSelector('.partition .grid-cells a');
    const names = await page.locator('.partition h2 a').allTextContents();
    assert.deepEqual(names, ['batch', 'gpu', 'interactive', 'legacy', '(no partition reported)']);
    const batch = page.locator('.partition', { has: page.locator('h2 a', { hasText: /^batch$/ }) });
    assert.equal(await batch.locator('.grid-cells a').count(), 180 + 24 + 40, 'cn, gpu and deb nodes');
    // Grey scale: each verdict has its own symbol, not only its own colour.
    const symbols = await page.locator('.grid-cells a').evaluateAll((els) => {
      const m: Record<string, Set<string>> = {};
      for (const e of els as { className: string; textContent: string | null }[])
        (m[e.className] ??= new Set()).add(e.textContent ?? '');
      return Object.entries(m).map(([k, v]): [string, string[]] => [k, [...v]]);
    });
    assert.ok(symbols.length >= 2, JSON.stringify(symbols));
    for (const [, v] of symbols) assert.equal(v.length, 1, 'one symbol per verdict');
    assert.equal(
      new Set(symbols.map(([, v]) => v[0])).size,
      symbols.length,
      'no two verdicts share a symbol',
    );
    // One tab stop per partition; the arrows move within it.
    let focused = '';
    for (let i = 0; i < 40 && !focused.startsWith('cn'); i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
    }
    assert.match(focused, /^cn001: apptainer /);
    await page.keyboard.press('ArrowRight');
    const second = await page.evaluate(() => document.activeElement!.getAttribute('aria-label'));
    assert.match(second ?? '', /^cn002: apptainer /);
    assert.equal(
      await page.locator('.grid-info').textContent(),
      second,
      'the focused node is named with its reason',
    );
    const degradedWhy = (await store.nodeViews({ offset: 0, limit: 1, search: 'cn002' })).nodes[0]!.runtimes
      .apptainer;
    if (degradedWhy?.why) assert.ok(second!.endsWith(degradedWhy.why), 'the reason is the stored one');
    await shot(page, 'partitions');
    await page.keyboard.press('Enter');
    await page.waitForSelector('h1:has-text("cn002")');
    assert.deepEqual(await overflowing(page), []);
    assert.deepEqual(await cspViolations(page), []);
    await page.close();
  });

  test('drift: a diff per node and report, from what to what, better or worse; the node page shows its own', async () => {
    const page = await open('/drift');
    await page.waitForSelector('.diff li');
    const block = page.locator('.diff', { has: page.locator('a', { hasText: /^cn160$/ }) });
    const kernel = block.locator('li', { hasText: 'kernel' });
    assert.equal(await kernel.locator('del').textContent(), '5.14.0-427.35.1.el9_4.x86_64');
    assert.equal(await kernel.locator('ins').textContent(), '5.14.0-503.38.1.el9_5.x86_64');
    const fixed = block.locator('li.d-better', { hasText: 'vulnerability' });
    assert.ok((await fixed.count()) > 0, 'the fixed advisories are shown as better');
    assert.match((await fixed.first().textContent()) ?? '', /▼ better.*affected.*no longer reported/);
    assert.deepEqual(await overflowing(page), []);
    await shot(page, 'drift');
    await page.goto(`${base}/#/node/cn160`);
    await page.waitForSelector('section:has(h2:text("History")) .diff li');
    await shot(page, 'node');
    assert.deepEqual(await overflowing(page), []);
    assert.deepEqual(await cspViolations(page), []);
    await page.close();
  });

  test('at 390x844 (a phone): the overview in one column, and no page wider than the screen', async () => {
    const page = await open('/', { width: 390, height: 844 });
    await page.waitForSelector('#chart-plan svg');
    assert.deepEqual(await overflowing(page), []);
    await shot(page, 'overview-phone');
    for (const [route, ready, name] of [
      ['/matrix', 'table.matrix tbody tr', 'matrix-phone'],
      ['/grid', '.grid-cells a', 'partitions-phone'],
      ['/drift', '.diff li', 'drift-phone'],
      ['/node/cn160', 'section:has(h2:text("History")) .diff li', 'node-phone'],
    ]) {
      await page.goto(`${base}/#${route}`);
      await page.waitForSelector(ready!);
      assert.deepEqual(await overflowing(page), [], route);
      await shot(page, name!);
    }
    assert.deepEqual(await cspViolations(page), []);
    await page.close();
  });
});

/**
 * GPU and InfiniBand nodes (the layered fixture hosts of issue 19, checked for real): NVIDIA nodes with the toolkit at
 * a vulnerable and at a fixed version, AMD ROCm nodes, InfiniBand nodes with a 64 KiB memlock limit and CPU nodes.
 */
const ACCEL_GROUPS: [string, number, string, string[]][] = [
  ['gpu', 8, 'gpu-nvidia-vulnerable', ['gpu']],
  ['gpu', 8, 'gpu-nvidia-fixed', ['gpu']],
  ['amd', 4, 'gpu-amd-rocm', ['gpu-amd']],
  ['ib', 6, 'ib-low-memlock', []],
  ['cpu', 6, 'gpu-none', ['batch']],
];

describe('GPU and RDMA matrix in chromium', { skip: DEVICES_SKIP }, () => {
  let accStore: FleetStore;
  let accDash: Awaited<ReturnType<typeof serveDashboard>> | undefined;
  let site: { base: string; browser: Browser };

  before(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-pictures-acc-'));
    accStore = await openStore(`sqlite:${path.join(dir, 'fleet.db')}`);
    const now = Date.now();
    let n = 0;
    const next = new Map<string, number>();
    for (const [prefix, count, fixture, partitions] of ACCEL_GROUPS)
      for (let i = 0; i < count; i++, n++) {
        const k = (next.get(prefix) ?? 0) + 1;
        next.set(prefix, k);
        await ingestAs(accStore, `${prefix}${String(k).padStart(3, '0')}`, fixture, {
          generatedAt: now - 60_000 + n,
          receivedAt: now - 60_000 + n,
          edit: (r) => {
            // The InfiniBand fixture has a slurm.conf of its own, whose partitions are kept.
            const facts = r.facts as { id: string }[];
            if (!facts.some((f) => f.id === 'slurm.partitions'))
              facts.push({
                id: 'slurm.partitions',
                value: partitions,
                how: 'file',
                evidence: `/etc/slurm/slurm.conf: PartitionName=${partitions.join(', ')}`,
              } as { id: string });
          },
        });
      }
    accDash = await serveDashboard(accStore, ADMIN, DAY);
    site = { base: accDash.base, browser: accDash.browser };
  });

  after(async () => {
    await accDash?.close();
    await accStore?.close();
  });

  /** The store's device matrix, as the page must show it: hostname -> runtime -> [verdict, why]. */
  async function stored(device: 'gpu' | 'rdma'): Promise<Map<string, Map<string, [string, string]>>> {
    const views = (await accStore.nodeViews({ offset: 0, limit: 100, device })).nodes;
    return new Map(
      deviceMatrix(views, device).map((n) => [
        n.hostname,
        new Map(Object.entries(n.runtimes).map(([rt, v]) => [rt, [v.verdict, v.why ?? '']])),
      ]),
    );
  }

  /** What the matrix on the page says: hostname -> runtime -> [cell class, words read out, tooltip]. */
  async function shown(page: Page): Promise<Map<string, Map<string, [string, string, string]>>> {
    const heads = (await page.locator('table.matrix thead th').allTextContents()).slice(2);
    const rows = await page.locator('table.matrix tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        host: tr.querySelector('th')!.textContent ?? '',
        cells: [...tr.querySelectorAll('td.mcell')].map((td) => [
          td.querySelector('.cell')!.className,
          td.querySelector('.sr-only')!.textContent ?? '',
          td.getAttribute('title') ?? '',
        ]),
      })),
    );
    return new Map(
      rows.map((r) => [r.host, new Map(heads.map((rt, i) => [rt, r.cells[i] as [string, string, string]]))]),
    );
  }

  test('keyboard to the GPU view: a row per GPU node only, each cell the stored readiness with its reason', async () => {
    const page = await open('/matrix', undefined, site);
    await page.waitForSelector('table.matrix tbody tr');
    // The view switcher is reached with Tab and followed with Enter, as every other link.
    let label = '';
    for (let i = 0; i < 40 && label !== 'GPU'; i++) {
      await page.keyboard.press('Tab');
      label = await page.evaluate(() =>
        document.activeElement?.closest('.span-pick') ? (document.activeElement.textContent ?? '') : '',
      );
    }
    assert.equal(label, 'GPU', 'the GPU view link takes the focus');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash === '#/matrix?device=gpu');
    await page.waitForSelector('h1:has-text("GPU readiness")');
    const got = await shown(page);
    const want = await stored('gpu');
    const nvidia = [...Array(16).keys()].map((i) => `gpu${String(i + 1).padStart(3, '0')}`);
    assert.deepEqual(
      [...got.keys()].sort(),
      [...nvidia, 'amd001', 'amd002', 'amd003', 'amd004'].sort(),
      'the NVIDIA and AMD nodes; no InfiniBand-only or CPU node',
    );
    assert.deepEqual(await page.locator('table.matrix thead th a').allTextContents(), [
      'apptainer',
      'podman',
    ]);
    for (const [host, cells] of got)
      for (const [rt, [cls, words, title]] of cells) {
        const [verdict, why] = want.get(host)!.get(rt)!;
        assert.equal(cls, `cell v-${verdict}`, `${host} ${rt}`);
        // A cell that is not ready says why (the store keeps the deciding reason); a ready one says ready.
        if (verdict === 'ready') assert.equal(words, 'ready', `${host} ${rt}`);
        else {
          assert.ok(why.length > 0, `${host} ${rt}: the store holds a reason`);
          assert.ok(words.endsWith(`: ${why}`), `${host} ${rt}: "${words}" gives the reason`);
        }
        assert.equal(title, `${host} ${rt} GPU: ${words}`);
      }
    // What the fixtures are: NVIDIA device nodes open to users, ready in both runtimes; AMD's kfd and render node
    // open to one group only, unknown (whether the user is in it is not known).
    for (const host of nvidia)
      for (const rt of ['apptainer', 'podman']) assert.equal(got.get(host)!.get(rt)![0], 'cell v-ready');
    const amd = got.get('amd001')!.get('apptainer')!;
    assert.equal(amd[0], 'cell v-unknown');
    assert.match(amd[1], /^unknown: only members of the owning group can open: .*\/dev\/kfd/);
    await matrixDone(page, 'matrix-gpu');
  });

  test('the RDMA view: the InfiniBand nodes, podman blocked by memlock; keyboard to the blocked nodes and to a node', async () => {
    const page = await open('/matrix?device=gpu', undefined, site);
    await page.waitForSelector('h1:has-text("GPU readiness")');
    await page.click('.span-pick a:text-is("RDMA")');
    await page.waitForSelector('h1:has-text("RDMA readiness")');
    const got = await shown(page);
    assert.deepEqual(
      [...got.keys()],
      ['ib001', 'ib002', 'ib003', 'ib004', 'ib005', 'ib006'],
      'only the nodes with a verbs device',
    );
    assert.deepEqual(await page.locator('table.matrix thead th a').allTextContents(), ['podman']);
    const want = await stored('rdma');
    for (const [host, cells] of got) {
      const [cls, words, title] = cells.get('podman')!;
      const [verdict, why] = want.get(host)!.get('podman')!;
      assert.equal(verdict, 'blocked');
      assert.equal(cls, 'cell v-blocked');
      assert.match(
        words,
        /^blocked \(cannot run\): memlock 64 KiB is below 64 MiB: MPI over verbs will fail/,
      );
      assert.ok(words.endsWith(why) && title.endsWith(why), `${host}: the stored reason`);
    }
    assert.deepEqual(await misaligned(page), []);
    assert.deepEqual(await overflowing(page), []);
    await shot(page, 'matrix-rdma');
    // The column head leads to the nodes where podman cannot give users the device: Tab to it, Enter.
    let href = '';
    for (let i = 0; i < 40 && !href.startsWith('#/nodes?'); i++) {
      await page.keyboard.press('Tab');
      href = await page.evaluate(() =>
        document.activeElement?.closest('table.matrix thead')
          ? (document.activeElement.getAttribute('href') ?? '')
          : '',
      );
    }
    assert.equal(href, '#/nodes?device=rdma&runtime=podman&ready=no');
    await page.keyboard.press('Enter');
    await page.waitForFunction((h) => location.hash === h, href);
    await page.waitForSelector('text=6 nodes');
    // A row's node link opens the node, whose page says why podman cannot give it the verbs device.
    await page.goto(`${site.base}/#/matrix?device=rdma`);
    await page.waitForSelector('h1:has-text("RDMA readiness")');
    let node = '';
    for (let i = 0; i < 40 && node !== 'ib001'; i++) {
      await page.keyboard.press('Tab');
      node = await page.evaluate(() =>
        document.activeElement?.closest('table.matrix tbody')
          ? (document.activeElement.textContent ?? '')
          : '',
      );
    }
    assert.equal(node, 'ib001');
    await page.keyboard.press('Enter');
    await page.waitForSelector('h1:has-text("ib001")');
    const rdma = page.locator('section', { has: page.locator('h2', { hasText: /^GPU and RDMA$/ }) });
    await rdma.waitFor();
    const row = rdma.locator('tr', { hasText: 'RDMA' }).filter({ hasText: 'podman' });
    assert.equal(await row.count(), 1, 'one row for RDMA in podman');
    assert.match((await row.textContent()) ?? '', /no.*memlock 64 KiB is below 64 MiB/);
    assert.match((await rdma.textContent()) ?? '', /memlock unlimited/, 'the remediation is shown');
    await rdma.evaluate((e) => e.scrollIntoView());
    await shot(page, 'node-rdma');
    assert.deepEqual(await overflowing(page), []);
    assert.deepEqual(await cspViolations(page), []);
    await page.close();
  });

  test('no console error and no page error on any GPU or RDMA page', () => {
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(alerts, []);
  });
});
