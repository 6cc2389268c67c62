// CISA KEV: the known_exploited field's shape, and every reviewed record of a listed CVE carries CISA's date.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAdvisory } from '../../../src/advisories/advisory.js';
import { loadBuiltinAdvisories } from '../../../src/advisories/load-advisories.js';
import {
  isLinuxKernelEntry,
  stampKnownExploited,
  type KevExtract,
} from '../../../src/advisories/sources/kev.js';
import { REPO } from '../../helpers/tree.js';

const extract = JSON.parse(
  fs.readFileSync(path.join(REPO, 'scripts/distro-data/inputs/kev.json'), 'utf8'),
) as KevExtract;
const kevDates = new Map(extract.entries.map(([cve, date]) => [cve, date]));

const base = {
  id: 'CVE-2099-0001',
  summary: 's',
  affected: [{ package: { ecosystem: 'Linux', name: 'Kernel' }, ranges: [] }],
  database_specific: { ctrsafe: { severity: 'high', confirmed_from: ['https://example.invalid'] } },
};
const withKe = (ke: unknown) => ({
  ...base,
  database_specific: { ctrsafe: { ...base.database_specific.ctrsafe, known_exploited: ke } },
});

test('known_exploited has exactly the catalogue shape; anything else is refused with a reason', () => {
  const ok = parseAdvisory(withKe({ catalog: 'CISA KEV', date_added: '2024-05-30' }));
  assert.ok(ok.ok);
  if (ok.ok)
    assert.deepEqual(ok.advisory.ctrsafe.known_exploited, { catalog: 'CISA KEV', date_added: '2024-05-30' });
  const none = parseAdvisory(base);
  assert.ok(none.ok && none.advisory.ctrsafe.known_exploited === undefined);
  for (const bad of [
    true,
    { catalog: 'rumour', date_added: '2024-05-30' },
    { catalog: 'CISA KEV', date_added: '2024-02-30' },
    { catalog: 'CISA KEV', date_added: '30/05/2024' },
    { catalog: 'CISA KEV' },
  ]) {
    const r = parseAdvisory(withKe(bad));
    assert.equal(r.ok, false, JSON.stringify(bad));
    if (!r.ok) assert.match(r.reason, /known_exploited must be/);
  }
});

test('every shipped record of a CVE in the KEV extract carries CISA’s date; no other record claims it', () => {
  const builtin = loadBuiltinAdvisories().advisories;
  let marked = 0;
  for (const a of builtin) {
    const dates = [a.id, ...a.aliases]
      .map((c) => kevDates.get(c))
      .filter((d): d is string => d !== undefined)
      .sort();
    if (dates.length) {
      marked++;
      assert.deepEqual(a.ctrsafe.known_exploited, { catalog: 'CISA KEV', date_added: dates[0] }, a.id);
    } else assert.equal(a.ctrsafe.known_exploited, undefined, `${a.id} is not in the catalogue`);
  }
  assert.ok(marked >= 8, `${marked} known-exploited records`);
  assert.equal(extract.license, 'CC0-1.0');
  assert.match(extract.revision, /^[0-9a-f]{40}$/);
});

test('every Linux kernel entry of the KEV catalogue has a reviewed kernel record', () => {
  const byCve = new Map(
    loadBuiltinAdvisories().advisories.flatMap((a) => [a.id, ...a.aliases].map((c) => [c, a] as const)),
  );
  const kernel = extract.entries.filter(([, , vendor, product]) =>
    isLinuxKernelEntry({ vendorProject: vendor, product }),
  );
  assert.equal(kernel.length, 21, 'the August 2025 catalogue lists 21 Linux kernel entries');
  for (const [cve] of kernel) {
    const a = byCve.get(cve);
    assert.ok(a, `${cve} is in CISA KEV but has no record`);
    assert.ok(
      a.affected.some((x) => x.database_specific?.ctrsafe_target === 'kernel'),
      `${cve}: the record does not target the kernel`,
    );
  }
});

test('stamping a record is idempotent and clears a date the catalogue no longer gives', () => {
  const rec = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  rec.aliases = ['CVE-2024-1086'];
  const m = new Map([['CVE-2024-1086', '2024-05-30']]);
  assert.equal(stampKnownExploited(rec, m), true);
  assert.equal(stampKnownExploited(rec, m), false);
  assert.equal(stampKnownExploited(rec, new Map()), true);
  assert.equal(JSON.stringify(rec).includes('known_exploited'), false);
  assert.ok(isLinuxKernelEntry({ vendorProject: 'Linux', product: 'Kernel' }));
  assert.ok(!isLinuxKernelEntry({ vendorProject: 'Linux', product: 'Linux Mint' }));
});
