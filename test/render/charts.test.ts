// The server-drawn charts as pure functions: well-formed SVG, escaped text, geometry that matches the numbers,
// fills told apart without colour, text alternatives that say what the bars say; and the verdicts and kernel order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderBars, type BarsData } from '../../src/render/chart-bars.js';
import { renderStackedBars, type StackedBarsData } from '../../src/render/chart-stacked-bars.js';
import { fit } from '../../src/render/svg.js';
import { FILLS } from '../../src/render/chart-fills.js';
import { runtimeVerdict } from '../../src/fleet/runtime-verdict.js';
import { groupKernels, kernelGroup } from '../../src/fleet/kernel-groups.js';

/** Well-formed XML in the subset the charts write: balanced tags, quoted attributes, escaped text; else a reason. */
export function xmlProblem(svg: string): string | null {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < svg.length) {
    const lt = svg.indexOf('<', i);
    const chunk = svg.slice(i, lt < 0 ? svg.length : lt);
    if (/&(?!(amp|lt|gt|quot|#39);)/.test(chunk)) return `a bare & in text: ${chunk.slice(0, 40)}`;
    if (chunk.includes('>')) return `a bare > in text: ${chunk.slice(0, 40)}`;
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(svg);
    if (!m) return `not a tag at ${lt}: ${svg.slice(lt, lt + 40)}`;
    if (m[1]) {
      if (stack.pop() !== m[2]) return `</${m[2]}> closes nothing open`;
    } else if (!m[4]) stack.push(m[2]!);
    i = tag.lastIndex;
  }
  return stack.length ? `<${stack.at(-1)}> is never closed` : null;
}

const rects = (svg: string) =>
  [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="20" fill="([^"]+)"/g)].map(
    (m) => ({ x: Number(m[1]), y: Number(m[2]), w: Number(m[3]), fill: m[4]! }),
  );

const readiness = (): StackedBarsData => ({
  id: 'readiness',
  title: 'Readiness per runtime',
  unit: 'nodes',
  width: 600,
  keys: [
    { key: 'ready', label: 'ready', fill: 'good' },
    { key: 'degraded', label: 'degraded', fill: 'warn' },
    { key: 'blocked', label: 'blocked', fill: 'bad' },
    { key: 'not-installed', label: 'not installed', fill: 'absent' },
  ],
  rows: [
    {
      label: 'apptainer',
      parts: {
        ready: { n: 150, href: '#/nodes?runtime=apptainer&verdict=ready' },
        degraded: { n: 30 },
        blocked: { n: 20 },
      },
    },
    { label: 'podman', parts: { ready: { n: 50 }, 'not-installed': { n: 150 } } },
  ],
});

test('stacked bars: well-formed, each part as wide as its share, in stacking order, labelled in words', () => {
  const svg = renderStackedBars(readiness());
  assert.equal(xmlProblem(svg), null);
  const r = rects(svg);
  assert.equal(r.length, 5, 'one rectangle per non-empty part');
  const apptainer = r.filter((x) => x.y === r[0]!.y);
  assert.equal(apptainer.length, 3);
  const full = apptainer.reduce((s, x) => s + x.w, 0);
  assert.ok(Math.abs(apptainer[0]!.w / full - 0.75) < 0.01, 'ready is 150 of 200');
  assert.ok(Math.abs(apptainer[2]!.w / full - 0.1) < 0.01, 'blocked is 20 of 200');
  for (let k = 1; k < 3; k++)
    assert.ok(Math.abs(apptainer[k]!.x - (apptainer[k - 1]!.x + apptainer[k - 1]!.w)) < 0.2, 'stacked');
  assert.match(
    svg,
    /<desc id="readiness-desc">[^<]*apptainer: 150 ready \(75%\), 30 degraded \(15%\), 20 blocked \(10%\)/,
  );
  assert.match(svg, /<title>apptainer: 20 nodes blocked \(10%\)<\/title>/, 'every part has its tooltip');
  assert.match(svg, /<a href="#\/nodes\?runtime=apptainer&amp;verdict=ready">/, 'a part links to its nodes');
  assert.match(svg, /role="img" aria-labelledby="readiness-title readiness-desc"/);
  assert.doesNotMatch(svg, /style=/, 'no style attribute: the dashboard CSP refuses them');
});

test('fills: every patterned fill a chart uses is defined in it; no two fills share colour and pattern', () => {
  const svg = renderStackedBars(readiness());
  const used = new Set([...svg.matchAll(/url\(#([\w-]+)\)/g)].map((m) => m[1]));
  const defined = new Set([...svg.matchAll(/<pattern id="([\w-]+)"/g)].map((m) => m[1]));
  assert.ok(used.size >= 2);
  assert.deepEqual(
    [...used].filter((u) => !defined.has(u)),
    [],
  );
  // The verdict fills differ in pattern, so the chart reads in grey scale (colour is never the only cue).
  const verdictFills = ['good', 'warn', 'bad', 'unknown'] as const;
  assert.equal(new Set(verdictFills.map((f) => FILLS[f].pattern)).size, verdictFills.length);
});

test('hostile labels are escaped text, links only inside the dashboard', () => {
  const d = readiness();
  d.rows[0]!.label = '<script>alert(1)</script>&"\'';
  d.rows[0]!.href = 'javascript:alert(2)';
  d.rows[1]!.parts.ready!.href = 'https://evil.invalid/';
  const svg = renderStackedBars(d);
  assert.equal(xmlProblem(svg), null);
  assert.doesNotMatch(svg, /<script|javascript:|evil\.invalid/);
  assert.match(svg, /&lt;script&gt;alert\(1\)&lt;\/script&gt;&amp;&quot;&#39;/);
});

const kernels = (): BarsData => ({
  id: 'kernels',
  title: 'Kernels',
  unit: 'nodes',
  mono: true,
  width: 600,
  maxBars: 3,
  groups: [
    {
      heading: 'RHEL-like el9',
      bars: [
        { label: '5.14.0-503.38.1.el9_5.x86_64', n: 400 },
        { label: '5.14.0-427.35.1.el9_4.x86_64', n: 100 },
      ],
    },
    {
      heading: 'Ubuntu 5.15',
      bars: [
        { label: '5.15.0-126-generic', n: 40 },
        { label: '5.15.0-91-generic', n: 7 },
        { label: '5.15.0-60-generic', n: 3 },
      ],
    },
  ],
});

test('bars: lengths proportional, groups with headings, the rows left out are said with their count', () => {
  const svg = renderBars(kernels());
  assert.equal(xmlProblem(svg), null);
  const w = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="16"/g)].map((m) =>
    Number(m[1]),
  );
  assert.equal(w.length, 3, 'maxBars');
  assert.ok(Math.abs(w[1]! / w[0]! - 0.25) < 0.01);
  assert.ok(Math.abs(w[2]! / w[0]! - 0.1) < 0.01);
  assert.ok(svg.indexOf('RHEL-like el9') < svg.indexOf('Ubuntu 5.15'));
  assert.match(svg, /… 2 more, 10 nodes \(see the table\)/);
  // Every bar is in the text alternative, including those cut from the picture.
  assert.match(svg, /<desc[^>]*>[^<]*5\.15\.0-60-generic: 3 nodes/);
  assert.match(svg, /font-family="Liberation Mono, monospace"/, 'releases in monospace: exact widths');
});

test('a label too long for its room is cut visibly, and its tooltip keeps it whole; empty data still draws', () => {
  assert.equal(fit('CVE-2024-1086', 1000, 12, true), 'CVE-2024-1086');
  const cut = fit('Update the kernel (AlmaLinux:9/kernel) to at least 5.14.0-503.38.1.el9_5', 200, 12);
  assert.ok(cut.endsWith('…') && cut.length < 40);
  const d = kernels();
  d.width = 300;
  d.maxBars = 10;
  const svg = renderBars(d);
  assert.match(svg, /<title>RHEL-like el9 5\.14\.0-503\.38\.1\.el9_5\.x86_64: 400 nodes<\/title>/);
  const empty = renderBars({ id: 'x', title: 'Nothing', unit: 'nodes', groups: [] });
  assert.equal(xmlProblem(empty), null);
  assert.match(empty, /No nodes\./);
  assert.equal(xmlProblem(renderStackedBars({ ...readiness(), rows: [] })), null);
});

test('verdicts: installed=false is not installed, no is blocked, unknown stays unknown, high risk is degraded', () => {
  assert.equal(runtimeVerdict({ installed: false, ready: 'yes', risk: 'low' }), 'not-installed');
  assert.equal(runtimeVerdict({ installed: true, ready: 'no', risk: 'none' }), 'blocked');
  assert.equal(runtimeVerdict({ ready: 'unknown', risk: 'low' }), 'unknown');
  assert.equal(runtimeVerdict({ ready: 'yes', risk: 'unknown' }), 'unknown');
  assert.equal(runtimeVerdict({ ready: 'yes', risk: 'critical' }), 'degraded');
  assert.equal(runtimeVerdict({ ready: 'yes', risk: 'high' }), 'degraded');
  assert.equal(runtimeVerdict({ ready: 'yes', risk: 'medium' }), 'ready');
});

test('kernels: grouped by family and stream, newest release first (rpm order, not string order)', () => {
  assert.equal(kernelGroup('5.14.0-427.35.1.el9_4.x86_64'), 'RHEL-like el9');
  assert.equal(kernelGroup('5.15.0-91-generic'), 'Ubuntu 5.15');
  assert.equal(kernelGroup('6.1.0-32-amd64'), 'Debian 6.1');
  assert.equal(kernelGroup(null), 'Release not reported');
  const g = groupKernels([
    { release: '5.14.0-70.13.1.el9_0.x86_64', nodes: 5 },
    { release: '5.15.0-91-generic', nodes: 30 },
    { release: '5.14.0-503.38.1.el9_5.x86_64', nodes: 10 },
    { release: '5.14.0-427.35.1.el9_4.x86_64', nodes: 20 },
    { release: '5.15.0-126-generic', nodes: 1 },
  ]);
  assert.deepEqual(
    g.map((x) => [x.group, x.nodes, x.releases.map((r) => r.release)]),
    [
      [
        'RHEL-like el9',
        35,
        ['5.14.0-503.38.1.el9_5.x86_64', '5.14.0-427.35.1.el9_4.x86_64', '5.14.0-70.13.1.el9_0.x86_64'],
      ],
      ['Ubuntu 5.15', 31, ['5.15.0-126-generic', '5.15.0-91-generic']],
    ],
  );
});

test('trend: a gap where no roll-up exists, every line named at its end and summarised in words', async () => {
  const { renderTrend } = await import('../../src/render/chart-trend.js');
  const svg = renderTrend({
    id: 'trend-affected',
    title: 'Affected',
    days: ['2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04'],
    unit: 'nodes',
    series: [
      { label: 'affected', values: [null, 300, 250, 120], colour: '#b3261e' },
      { label: 'critical', values: [null, 30, 30, 0], colour: '#1f5f9e', dash: '6 3' },
    ],
  });
  assert.equal(xmlProblem(svg), null);
  const paths = [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) => m[1]!);
  assert.equal(paths.length, 2);
  assert.equal((paths[0]!.match(/M/g) ?? []).length, 1, 'one run of line: the unknown first day is left out');
  assert.equal((paths[0]!.match(/L/g) ?? []).length, 2, 'three known days, two segments');
  assert.match(svg, /stroke-dasharray="6 3"/, 'told apart by dashes, not only colour');
  assert.match(svg, />affected 120 nodes</);
  assert.match(
    svg,
    /affected: 300 nodes on 2026-10-02, 120 nodes on 2026-10-04 \(lowest 120 nodes, highest 300 nodes\)/,
  );
});
