// The advisory record's declaration (src/schema/advisory-record.ts) and the reader on check's path (parseAdvisory,
// hand-written so a check loads no schema library) give the same verdict: every shipped record fits the published
// file (read by a second validator), the declaration and the reader; each broken record is refused by all three.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { parseAdvisory } from '../../src/advisories/advisory.js';
import { AdvisoryRecord } from '../../src/schema/advisory-record.js';
import { documentProblem } from '../../src/schema/check-document.js';
import { REPO } from '../helpers/tree.js';

const require = createRequire(import.meta.url);
const Ajv2020 = require('ajv/dist/2020.js') as new (o: object) => {
  compile(s: object): ((d: unknown) => boolean) & { errors?: unknown[] | null };
};
const addFormats = require('ajv-formats') as (a: unknown) => void;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const publishedFile = ajv.compile(
  JSON.parse(fs.readFileSync(path.join(REPO, 'docs/schema/ctrsafe.advisory-1.json'), 'utf8')) as object,
);

const dir = path.join(REPO, 'advisories');
const shipped = fs
  .readdirSync(dir)
  .filter((n) => n.endsWith('.json'))
  .map(
    (n) => [n, JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as Record<string, unknown>] as const,
  );

test('every shipped advisory record fits the published file, the declaration and the reader', () => {
  assert.ok(shipped.length > 100, `${shipped.length} records`);
  for (const [name, r] of shipped) {
    assert.ok(publishedFile(r), `${name}: ${JSON.stringify(publishedFile.errors?.slice(0, 2))}`);
    assert.equal(documentProblem(AdvisoryRecord, r), null, name);
    const p = parseAdvisory(r);
    assert.ok(p.ok, `${name}: ${p.ok ? '' : p.reason}`);
  }
});

test('a broken record is refused by the published file, the declaration and the reader alike', () => {
  const base = shipped.find(([n]) => n === 'CVE-2024-1086.json')![1];
  const ctr = (base.database_specific as { ctrsafe: Record<string, unknown> }).ctrsafe;
  const aff = (base.affected as Record<string, unknown>[])[0]!;
  const range = (aff.ranges as Record<string, unknown>[])[0]!;
  const withCtr = (c: Record<string, unknown>) => ({
    ...base,
    database_specific: { ctrsafe: { ...ctr, ...c } },
  });
  const withAffected = (a: Record<string, unknown>) => ({ ...base, affected: [{ ...aff, ...a }] });
  const broken: [string, unknown][] = [
    ['not an object', ['CVE-1']],
    ['an id with a space', { ...base, id: 'CVE 2024' }],
    ['no summary', { ...base, summary: undefined }],
    ['no affected entry', { ...base, affected: [] }],
    ['a package without a name', withAffected({ package: { ecosystem: 'Linux' } })],
    ['a range of an unknown type', withAffected({ ranges: [{ ...range, type: 'CALVER' }] })],
    ['a range without events', withAffected({ ranges: [{ ...range, events: [] }] })],
    [
      'an event with two keys',
      withAffected({ ranges: [{ ...range, events: [{ introduced: '1', fixed: '2' }] }] }),
    ],
    ['an unknown event', withAffected({ ranges: [{ ...range, events: [{ patched: '2' }] }] })],
    ['versions that are not strings', withAffected({ versions: [6, 8] })],
    ['a reference without a url', { ...base, references: [{ type: 'WEB' }] }],
    ['no judgement', { ...base, database_specific: {} }],
    ['a severity ctrsafe does not use', withCtr({ severity: 'severe' })],
    ['no source', withCtr({ confirmed_from: [] })],
    [
      'a config precondition without values',
      withCtr({ preconditions: { config: [{ target: 'x', key: 'k' }] } }),
    ],
    ['an unknown NVIDIA path', withCtr({ preconditions: { nvidia_paths: [{ path: 'cuda-hooks' }] } })],
    [
      'a KEV date that is no day',
      withCtr({ known_exploited: { catalog: 'CISA KEV', date_added: '2024-02-30' } }),
    ],
    ['another catalogue', withCtr({ known_exploited: { catalog: 'EU', date_added: '2024-02-01' } })],
  ];
  for (const [what, r] of broken) {
    const doc = JSON.parse(JSON.stringify(r)) as unknown;
    assert.equal(publishedFile(doc), false, `${what}: the published file`);
    const why = documentProblem(AdvisoryRecord, doc);
    assert.ok(why !== null && !why.includes('\n'), `${what}: the declaration`);
    assert.equal(parseAdvisory(doc).ok, false, `${what}: the reader`);
  }
  // And what OSV allows, all three accept: a record listing versions without ranges, no optional lists at all.
  const lean = {
    ...base,
    aliases: undefined,
    references: undefined,
    affected: [{ package: aff.package, versions: ['6.1'] }],
  };
  const doc = JSON.parse(JSON.stringify(lean)) as unknown;
  assert.ok(publishedFile(doc), JSON.stringify(publishedFile.errors));
  assert.equal(documentProblem(AdvisoryRecord, doc), null);
  const p = parseAdvisory(doc);
  assert.ok(p.ok);
  assert.deepEqual(
    p.advisory.affected[0]!.ranges,
    [],
    'held with an empty range list, which the matcher walks',
  );
});
