// Version comparison checked against the reference implementations: dpkg --compare-versions and rpm's labelCompare.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { compareDebian } from '../../src/version/compare-debian.js';
import { compareRpm } from '../../src/version/compare-rpm.js';
import { compareUpstream } from '../../src/version/compare-upstream.js';
import { mainlineVersion } from '../../src/version/kernel-version.js';
import { prng as rng } from '../helpers/prng.js';

const SEED = Number(process.env.CTRSAFE_SEED ?? Date.now() % 100000);
const pick = (r: () => number, s: string) => s[Math.floor(r() * s.length)]!;
const word = (r: () => number, first: string, rest: string, max: number) => {
  let w = pick(r, first);
  const n = Math.floor(r() * max);
  for (let i = 0; i < n; i++) w += pick(r, rest);
  return w;
};

function debianVersion(r: () => number): string {
  const epoch = r() < 0.15 ? `${Math.floor(r() * 3)}:` : '';
  const upstream = word(r, '0123456789', '0123456789.+~abz', 7);
  const revision = r() < 0.7 ? `-${word(r, '0123456789abz', '0123456789.+~abz', 5)}` : '';
  return epoch + upstream + revision;
}

function rpmVersion(r: () => number): [string, string, string] {
  const epoch = r() < 0.15 ? String(Math.floor(r() * 3)) : '0';
  return [
    epoch,
    word(r, '0123456789', '0123456789._~^abz', 7),
    word(r, '0123456789', '0123456789._~^abel', 6),
  ];
}

/** Mutates a version a little, so pairs are close enough to exercise the tie-breaking rules. */
function nearby(r: () => number, v: string, alphabet: string): string {
  const i = Math.floor(r() * v.length);
  const c = pick(r, alphabet);
  return r() < 0.5 ? v.slice(0, i) + c + v.slice(i + 1) : v.slice(0, i) + c + v.slice(i);
}

test(`Debian versions agree with dpkg --compare-versions (seed ${SEED})`, () => {
  const r = rng(SEED);
  const pairs: [string, string][] = [
    ['1.1.9-1~jammy', '1.1.9-1'],
    ['1:0.9', '2.0'],
    ['1.0~rc1', '1.0'],
    ['1.0+b1', '1.0'],
    ['4.3.1+ds1-8+deb12u1', '4.3.1+ds1-8'],
  ];
  while (pairs.length < 300) {
    const a = debianVersion(r);
    const b = r() < 0.5 ? debianVersion(r) : nearby(r, a, '0123456789.+~az');
    if (
      /^[0-9]/.test(b.replace(/^\d+:/, '')) &&
      !/-$/.test(b) &&
      !/:.*:/.test(b) &&
      b.split('-').pop() !== ''
    )
      pairs.push([a, b]);
  }
  const script = pairs
    .map(
      ([a, b]) =>
        `if dpkg --compare-versions '${a}' lt '${b}' 2>/dev/null; then echo -1; elif dpkg --compare-versions '${a}' eq '${b}' 2>/dev/null; then echo 0; elif dpkg --compare-versions '${a}' gt '${b}' 2>/dev/null; then echo 1; else echo invalid; fi`,
    )
    .join('\n');
  const out = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' }).stdout.trim().split('\n');
  assert.equal(out.length, pairs.length);
  let checked = 0;
  pairs.forEach(([a, b], i) => {
    if (out[i] === 'invalid') return;
    const ours = compareDebian(a, b);
    if (ours === null) return; // dpkg is laxer about some shapes it warns on; we refuse them
    checked++;
    assert.equal(ours, Number(out[i]), `compareDebian(${a}, ${b}) seed ${SEED}`);
  });
  assert.ok(checked > 200, `only ${checked} pairs were comparable`);
});

test(`RPM EVRs agree with rpm's labelCompare (seed ${SEED})`, () => {
  const r = rng(SEED + 1);
  const pairs: [[string, string, string], [string, string, string]][] = [
    [
      ['0', '1.2.5', '1.el8'],
      ['0', '1.2.5', '1.el8_1'],
    ],
    [
      ['0', '4.18.0', '348.20.1.el8_5'],
      ['0', '4.18.0', '348.7.1.el8_5'],
    ],
    [
      ['0', '1.0~rc1', '1'],
      ['0', '1.0', '1'],
    ],
    [
      ['0', '1.0^git1', '1'],
      ['0', '1.0', '1'],
    ],
    [
      ['1', '0.1', '1'],
      ['0', '9.9', '1'],
    ],
  ];
  while (pairs.length < 400) {
    const a = rpmVersion(r);
    const b: [string, string, string] =
      r() < 0.5
        ? rpmVersion(r)
        : [a[0], nearby(r, a[1], '0123456789._~^a'), r() < 0.5 ? a[2] : nearby(r, a[2], '0123456789._~^e')];
    pairs.push([a, b]);
  }
  const py = `import sys, rpm\nfor line in sys.stdin:\n    a = line.rstrip('\\n').split('\\t')\n    print(rpm.labelCompare((a[0], a[1], a[2]), (a[3], a[4], a[5])))\n`;
  const res = spawnSync('/usr/bin/python3', ['-c', py], {
    input: pairs.map(([a, b]) => [...a, ...b].join('\t')).join('\n') + '\n',
    encoding: 'utf8',
  });
  assert.equal(res.status, 0, `python3-rpm is installed by the test command: ${res.stderr}`);
  const out = res.stdout.trim().split('\n').map(Number);
  pairs.forEach(([a, b], i) => {
    const ours = compareRpm(`${a[0]}:${a[1]}-${a[2]}`, `${b[0]}:${b[1]}-${b[2]}`);
    assert.equal(ours, out[i], `compareRpm(${a.join(':')}, ${b.join(':')}) seed ${SEED}`);
  });
});

test('upstream releases: semver precedence, Singularity 2.x "-dist", pre-releases', () => {
  const lt: [string, string][] = [
    ['2.6.0', '2.6.1-dist'],
    ['1.2.0-rc.1', '1.2.0'],
    ['1.2.0-rc.1', '1.2.0-rc.2'],
    ['1.0.0-alpha', '1.0.0-alpha.1'],
    ['1.0.0-alpha.beta', '1.0.0-beta'],
    ['1.0.0-beta.2', '1.0.0-beta.11'],
    ['3.11.4', '3.11.10'],
    ['0.31', '0.38'],
    ['v1.1.8', '1.1.9'],
    ['1.0.0-rc9', '1.0.0-rc10'],
  ];
  for (const [a, b] of lt) {
    assert.equal(compareUpstream(a, b), -1, `${a} < ${b}`);
    assert.equal(compareUpstream(b, a), 1, `${b} > ${a}`);
  }
  assert.equal(compareUpstream('2.6.1-dist', '2.6.1'), 0);
  assert.equal(compareUpstream('1.3', '1.3.0'), 0);
  assert.equal(compareUpstream('not a version', '1.0'), null);
});

test('kernel release numbers and vendor versions compare as their vendors order them', () => {
  assert.equal(mainlineVersion('6.18.44-fc-v857'), '6.18.44');
  assert.equal(compareRpm('4.18.0-348.20.1.el8_5', '4.18.0-348.7.1.el8_5'), 1);
  assert.equal(compareDebian('5.15.0-91.101', '5.15.0-97.107'), -1);
});
