// The host report's one declaration (src/schema/): what check writes fits it, every report check writes is one the
// fleet and the gate accept, a field added to it reaches every reader, and the published files follow it with a
// version bump and a CHANGELOG line for every change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Type } from 'typebox';
import { runCheck } from '../../src/cli/check-command.js';
import { validateReport } from '../../src/fleet/validate-report.js';
import { documentProblem, readablePath } from '../../src/schema/check-document.js';
import * as Declared from '../../src/schema/host-report.js';
import { GateInput, NodeReport, gateInputOf, nodeReportOf } from '../../src/schema/node-report.js';
import { PUBLISHED, publishedText, schemaDigest } from '../../src/schema/published.js';
import { ImageReport } from '../../src/schema/image-report.js';
import { auditImage } from '../../src/image/audit-image.js';
import { loadKeyring } from '../../src/image/sif/keyring.js';
import { fixtureHost } from '../helpers/fixture-host.js';
import { REPO } from '../helpers/tree.js';

const HOSTS = ['rocky9', 'debian12', 'ubuntu2204', 'sles15sp3', 'shifter-cray', 'apptainer-setuid'];

for (const name of HOSTS)
  test(`${name}: the report check builds fits its schema, and the fleet's and the gate's views of it`, async () => {
    const root = fixtureHost(name);
    const { report } = await runCheck({ root, dbDir: path.join(root, 'no-store') });
    // As it travels: JSON, as a node sends it and as the gate reads its check's output.
    const sent = JSON.parse(
      JSON.stringify({ ...report, host: { ...report.host, hostname: 'node001' } }),
    ) as unknown;
    assert.equal(documentProblem(Declared.HostReport, sent), null);
    assert.equal(documentProblem(NodeReport, sent), null);
    assert.equal(documentProblem(GateInput, sent), null);
    const v = validateReport(sent);
    assert.ok(v.ok, v.ok ? '' : v.reason);
  });

test('image reports of real images fit their schema: signed SIFs (verified and untrusted), a directory, a bad file', async () => {
  const samples = path.join(REPO, '../shared/reference/sif-samples');
  const keyring = loadKeyring([
    path.join(samples, 'keys/pgp-public.asc'),
    path.join(samples, 'keys/ed25519-public.pem'),
  ]);
  const reports = [
    await auditImage(path.join(samples, 'one-group-signed-pgp.sif'), { keyring }),
    await auditImage(path.join(samples, 'one-group-signed-dsse.sif')),
    await auditImage(path.join(samples, 'one-group.sif'), { keyring }),
    await auditImage(fixtureHost('rocky9')),
  ];
  const verdicts = reports.map((r) => r.image.signature?.verdict ?? null);
  assert.deepEqual(verdicts, ['verified', 'signed-untrusted-key', 'unsigned', null]);
  for (const r of reports) {
    const sent = JSON.parse(JSON.stringify(r)) as unknown;
    assert.equal(documentProblem(ImageReport, sent), null, r.image.path);
  }
  const bad = JSON.parse(JSON.stringify(reports[0])) as { findings: { id: string }[] };
  bad.findings.push({ ...bad.findings[0]!, id: 'setuid-ish' });
  assert.match(
    documentProblem(ImageReport, bad) ?? '',
    /^findings\[\d+\]\.id: "setuid-ish" is not one of setuid, /,
  );
});

test('a report that breaks a declaration is refused with the path and the rule it broke, in one line', () => {
  const base = {
    schema: 'ctrsafe.report/1',
    report_id: 'r1',
    generated_at: '2026-01-01T00:00:00Z',
    host: { hostname: 'n1', kernel: { release: '6.1.0' }, os: { id: 'debian', version_id: '12' } },
    runtimes: [{ id: 'podman', ready: 'yes', risk: 'low' }],
    findings: [{ id: 'CS-K001', severity: 'high', status: 'fail' }],
  };
  assert.equal(documentProblem(NodeReport, base), null, 'the fields the fleet reads are enough');
  const cases: [unknown, RegExp][] = [
    [
      { ...base, runtimes: [{ id: 'docker', ready: 'yes', risk: 'low' }] },
      /^runtimes\[0\]\.id: "docker" is not one of singularity, /,
    ],
    [{ ...base, runtimes: [{ id: 'podman', ready: 'yes' }] }, /^runtimes\[0\]\.risk: missing$/],
    [
      { ...base, findings: [{ id: 'CS K', severity: 'high', status: 'fail' }] },
      /^findings\[0\]\.id must match pattern/,
    ],
    [
      { ...base, findings: [{ id: 'CS-K001', severity: 'severe', status: 'fail' }] },
      /^findings\[0\]\.severity: "severe" is not one of info, low, medium, high, critical$/,
    ],
    [{ ...base, host: { ...base.host, kernel: { release: 7 } } }, /^host\.kernel\.release must be/],
    // A declared optional field is checked when present: the fleet does not read "name", but it is bounded.
    [
      { ...base, runtimes: [{ id: 'podman', ready: 'yes', risk: 'low', name: 'x'.repeat(201) }] },
      /^runtimes\[0\]\.name must not have more than 200 characters/,
    ],
    [
      { ...base, vulnerabilities: [{ id: 'CVE-2024-1086', status: 'patched', severity: 'high' }] },
      /^vulnerabilities\[0\]\.status: "patched" is not one of affected, mitigated, unknown$/,
    ],
  ];
  for (const [doc, want] of cases) {
    const why = documentProblem(NodeReport, doc);
    assert.ok(why !== null && !why.includes('\n'), JSON.stringify(doc));
    assert.match(why, want);
  }
  // A field this build does not declare passes (a newer node's addition); the fleet's walk bounds it.
  assert.equal(documentProblem(NodeReport, { ...base, future: { anything: [1, 2] } }), null);
  assert.equal(readablePath('/runtimes/0/a~1b'), 'runtimes[0].a/b');
  // A key with "/" in it: the path and the value quoted are the key's own.
  const odd = Type.Object({ 'a/b': Type.Integer() });
  assert.equal(documentProblem(odd, { 'a/b': 'x' }), 'a/b must be integer ("x")');
  assert.equal(documentProblem(odd, {}), 'a/b: missing');
});

test('a field added to the report is seen by the fleet and the gate without another edit (a fixture schema)', () => {
  // The variant a developer would write: one new field, in RuntimeVerdict only.
  const RuntimeVerdict = Type.Object({
    ...Declared.RuntimeVerdict.properties,
    gpu_ready: Type.Optional(Declared.TriState),
  });
  const parts = { ...Declared, RuntimeVerdict };
  const node = nodeReportOf(parts);
  const gate = gateInputOf(parts);
  const rt = { id: 'apptainer', ready: 'yes', risk: 'low', reasons: [] as string[] };
  const doc = (gpu: unknown) => ({
    schema: 'ctrsafe.report/1',
    report_id: 'r1',
    generated_at: '2026-01-01T00:00:00Z',
    host: { hostname: 'n1', kernel: { release: '6.1.0' }, os: { id: null, version_id: null } },
    runtimes: [{ ...rt, gpu_ready: gpu }],
    findings: [],
    vulnerabilities: [],
  });
  assert.equal(documentProblem(node, doc('yes')), null);
  assert.equal(documentProblem(gate, doc('yes')), null);
  assert.match(
    documentProblem(node, doc('maybe')) ?? '',
    /^runtimes\[0\]\.gpu_ready: "maybe" is not one of yes, no, unknown$/,
  );
  assert.match(documentProblem(gate, doc('maybe')) ?? '', /^runtimes\[0\]\.gpu_ready/);
  // The declared views (without the field) let it pass as unknown: the change is the one declaration above.
  assert.equal(documentProblem(NodeReport, doc('maybe')), null);
  // And the published files would change with it: the digest of the fleet's view moves.
  assert.notEqual(schemaDigest(node), schemaDigest(NodeReport));
});

test('docs/schema/ holds what the declarations publish (npm run docs regenerates it)', () => {
  for (const p of PUBLISHED) {
    const file = path.join(REPO, 'docs/schema', p.file);
    assert.ok(fs.existsSync(file), `${p.file} is missing: run npm run docs`);
    assert.equal(
      fs.readFileSync(file, 'utf8'),
      publishedText(p),
      `${p.file} is out of date: run npm run docs`,
    );
  }
});

test('a declaration that changed carries a new version, recorded with its digest and named in the CHANGELOG', () => {
  const versions = JSON.parse(
    fs.readFileSync(path.join(REPO, 'docs/schema/versions.json'), 'utf8'),
  ) as Record<string, Record<string, string>>;
  const changelog = fs.readFileSync(path.join(REPO, 'CHANGELOG.md'), 'utf8');
  for (const p of PUBLISHED) {
    const recorded = versions[p.file]?.[p.version];
    assert.ok(
      recorded,
      `${p.file} ${p.version} is not recorded in docs/schema/versions.json: run npm run docs`,
    );
    assert.equal(
      recorded,
      schemaDigest(p.schema),
      `${p.file} changed but its version is still ${p.version}: bump the version in src/schema/ and add a CHANGELOG line`,
    );
    assert.ok(
      changelog.includes(`${p.document} schema ${p.version}`),
      `CHANGELOG.md has no line for ${p.document} schema ${p.version}`,
    );
  }
});
