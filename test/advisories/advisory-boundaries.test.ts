// Every shipped advisory range, run through the matcher on both sides of each boundary; and a few real flaws end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Facts, FactValue } from '../../src/facts/fact.js';
import { inRange } from '../../src/advisories/evaluate-range.js';
import { loadAdvisoryDir } from '../../src/advisories/load-advisories.js';
import { matchAdvisories } from '../../src/advisories/match-advisories.js';
import { compareUpstream } from '../../src/version/compare-upstream.js';
import { REPO } from '../helpers/tree.js';

const db = loadAdvisoryDir(path.join(REPO, 'advisories'));

/** The closest release below a numeric version: 1.1.8 -> 1.1.8-0 (a pre-release), 6.1.76 -> 6.1.75, 6.8 -> 6.7.99999. */
function below(v: string, kernel: boolean): string | null {
  if (!/^\d+(\.\d+)*$/.test(v)) return null;
  if (!kernel) return `${v}-0`;
  const parts = v.split('.').map(Number);
  for (let i = parts.length - 1; i >= 0; i--) {
    if (parts[i]! > 0) {
      parts[i]!--;
      return [...parts.slice(0, i + 1), ...(i < parts.length - 1 || parts.length < 3 ? [99999] : [])].join(
        '.',
      );
    }
  }
  return null;
}

test('every upstream and mainline range boundary of the shipped database holds on both sides', () => {
  assert.ok(db.advisories.length >= 80, `the database holds ${db.advisories.length} advisories`);
  let checked = 0;
  for (const adv of db.advisories) {
    for (const a of adv.affected) {
      const eco = a.package.ecosystem;
      if (!['Go', 'ctrsafe:upstream', 'Linux'].includes(eco)) continue;
      const kernel = eco === 'Linux';
      for (const r of a.ranges) {
        if (r.type === 'GIT') continue;
        for (const e of r.events) {
          const [kind, v] = Object.entries(e)[0] as [string, string];
          if (v === '0') continue;
          const at = inRange(v, r, compareUpstream);
          const under = below(v, kernel);
          const where = `${adv.id} ${a.package.name} ${JSON.stringify(r.events)}`;
          if (kind === 'introduced') {
            assert.equal(at, true, `${where}: ${v} itself is affected`);
            if (under)
              assert.equal(inRange(under, r, compareUpstream), false, `${where}: ${under} predates it`);
          } else if (kind === 'fixed') {
            assert.equal(at, false, `${where}: the fixed release ${v} is not affected`);
            if (under && compareUpstream(under, String(Object.values(r.events[0]!)[0])) !== -1)
              assert.equal(inRange(under, r, compareUpstream), true, `${where}: ${under} is still affected`);
          } else if (kind === 'last_affected') {
            assert.equal(at, true, `${where}: last_affected ${v} is affected`);
          }
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 150, `checked ${checked} boundaries`);
});

function facts(o: Record<string, FactValue>, evidence: Record<string, string> = {}): Facts {
  return new Map(
    Object.entries(o).map(([id, value]) => [
      id,
      { id, value, how: 'file' as const, evidence: evidence[id] ?? id },
    ]),
  );
}

function statusOf(id: string, f: Facts): string {
  return (
    matchAdvisories(
      db.advisories.filter((a) => a.id === id || a.aliases.includes(id)),
      f,
    )[0]?.status ?? 'no match'
  );
}

test('real flaws end to end: each side of the fix', () => {
  assert.ok(db.advisories.some((a) => a.id === 'CVE-2023-30549'));
  const appt = (v: string) => facts({ 'runtime.apptainer.installed': true, 'runtime.apptainer.version': v });
  assert.equal(statusOf('CVE-2023-30549', appt('1.1.7')), 'affected');
  assert.equal(statusOf('CVE-2023-30549', appt('1.1.8')), 'fixed');
  const runc = (v: string) => facts({ 'component.runc.installed': true, 'component.runc.version': v });
  assert.equal(statusOf('CVE-2024-21626', runc('1.1.11')), 'affected');
  assert.equal(statusOf('CVE-2024-21626', runc('1.1.12')), 'fixed');
  const kernel = (release: string) =>
    facts({
      'kernel.release': release,
      'kernel.family': 'mainline',
      'os.id': 'debian',
      'os.version_id': '12',
    });
  assert.equal(statusOf('CVE-2024-1086', kernel('6.1.75')), 'affected');
  assert.equal(statusOf('CVE-2024-1086', kernel('6.1.76')), 'fixed');
  assert.equal(statusOf('CVE-2022-0847', kernel('5.16.10')), 'affected');
  assert.equal(statusOf('CVE-2022-0847', kernel('5.16.11')), 'fixed');
  assert.equal(statusOf('CVE-2022-0847', kernel('5.4.200')), 'not-affected', 'Dirty Pipe arrived in 5.8');
  // A RHEL kernel whose base predates the mainline introduction is never cleared without Red Hat data.
  const rhel = facts({
    'kernel.release': '3.10.0-1160.el7.x86_64',
    'kernel.family': 'rhel',
    'os.id': 'centos',
    'os.version_id': '7',
  });
  assert.equal(statusOf('CVE-2024-1086', rhel), 'unknown');
  assert.equal(statusOf('CVE-2022-0847', rhel), 'unknown');
});
