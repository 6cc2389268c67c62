// `check --format sarif` validates against the official SARIF 2.1.0 schema (as shipped in @microsoft/jest-sarif).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { runMain } from '../helpers/run-main.js';
import { FIXTURES, REPO } from '../helpers/tree.js';

const require = createRequire(import.meta.url);
const Ajv = require('ajv-draft-04') as new (o: object) => {
  compile(s: object): ((d: unknown) => boolean) & { errors?: unknown[] };
};
const addFormats = require('ajv-formats') as (a: unknown) => void;
const schema = require(
  path.join(REPO, 'node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'),
) as object;

function validator() {
  // The official schema uses a pattern that is not valid in Unicode mode; ajv must compile it as plain RegExp.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

test('SARIF output of a live check and of a failing fixture validates against the SARIF 2.1.0 schema', async () => {
  const validate = validator();
  for (const args of [
    ['check', '--format', 'sarif'],
    ['check', '--root', path.join(FIXTURES, 'sles11sp3'), '--format', 'sarif'],
  ]) {
    const r = await runMain(args);
    assert.equal(r.code, 0, r.stderr);
    const log = JSON.parse(r.stdout) as {
      version: string;
      runs: { results: { ruleId: string; level: string }[]; tool: { driver: { rules: { id: string }[] } } }[];
    };
    assert.ok(validate(log), JSON.stringify(validate.errors?.slice(0, 3)));
    assert.equal(log.version, '2.1.0');
    const ids = new Set(log.runs[0]!.tool.driver.rules.map((x) => x.id));
    for (const res of log.runs[0]!.results)
      assert.ok(ids.has(res.ruleId), `result ${res.ruleId} has no rule`);
  }
  const sles = JSON.parse(
    (await runMain(['check', '--root', path.join(FIXTURES, 'sles11sp3'), '--format', 'sarif'])).stdout,
  ) as { runs: { results: { ruleId: string; level: string }[] }[] };
  const k001 = sles.runs[0]!.results.find((x) => x.ruleId === 'CS-K001');
  assert.equal(k001?.level, 'error', 'missing no_new_privs is an error');
});

const SAMPLES = path.join(REPO, '../shared/reference/sif-samples');
test(
  'image SARIF of signed SIFs validates and lists each verdict, verified ones too',
  { skip: !fs.existsSync(SAMPLES) && !process.env.CI ? 'needs ../shared/reference/sif-samples' : false },
  async () => {
    const validate = validator();
    const r = await runMain([
      'image',
      'audit',
      path.join(SAMPLES, 'one-group-signed-pgp.sif'),
      path.join(SAMPLES, 'one-group-signed-dsse.sif'),
      '--keyring',
      path.join(SAMPLES, 'keys/pgp-public.asc'),
      '--format',
      'sarif',
    ]);
    const log = JSON.parse(r.stdout) as {
      runs: { results: { ruleId: string }[]; properties: { signatures: { verdict: string }[] } }[];
    };
    assert.ok(validate(log), JSON.stringify(validate.errors?.slice(0, 3)));
    assert.deepEqual(
      log.runs[0]!.properties.signatures.map((x) => x.verdict),
      ['verified', 'signed-untrusted-key'],
    );
    assert.ok(log.runs[0]!.results.some((x) => x.ruleId === 'image/sif-untrusted-key'));
  },
);

test('the validator really rejects a broken SARIF log', () => {
  const validate = validator();
  assert.equal(validate({ version: '2.1.0', runs: [{ tool: { driver: {} }, results: [] }] }), false);
});
