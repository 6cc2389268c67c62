// The live host, probed for real: Debian's charliecloud, podman and uidmap are installed by the test command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { runCli, runJson } from '../helpers/run-cli.js';

interface Rt {
  id: string;
  installed: boolean;
  version: string | null;
  mode: string | null;
  ready: string;
}
interface Feat {
  id: string;
  state: string;
  how: string;
  evidence: string;
}

const isRoot = process.getuid?.() === 0;

/** dpkg-query is the oracle for what is installed; its upstream version must match what ctrsafe reports. */
function dpkgUpstream(pkg: string): string | null {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status} ${Version}', pkg], { encoding: 'utf8' });
  const m = /install ok installed (\S+)/.exec(r.stdout);
  return m
    ? m[1]!
        .replace(/^\d+:/, '')
        .replace(/-[^-]*$/, '')
        .replace(/\+ds\d*$/, '')
    : null;
}

const live = (() => {
  const mountsBefore = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  const r = runJson(['check']);
  return { ...r, mountsBefore };
})();
const features = live.json.features as Feat[];
const runtimes = live.json.runtimes as Rt[];
const facts = live.json.facts as { id: string; value: unknown }[];
const feature = (id: string) => features.find((f) => f.id === id)!;
const runtime = (id: string) => runtimes.find((r) => r.id === id)!;

test('live check runs and follows the report contract', () => {
  assert.equal(live.code, 0, live.stderr);
  assert.equal(live.json.schema, 'ctrsafe.report/1');
  const host = live.json.host as { source: string; kernel: { release: string } };
  assert.equal(host.source, 'live');
  assert.equal(host.kernel.release, fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
  assert.deepEqual(
    runtimes.map((r) => r.id),
    ['singularity', 'singularity-ce', 'apptainer', 'shifter', 'charliecloud', 'podman', 'enroot', 'sarus'],
  );
  for (const r of runtimes) {
    assert.ok(['yes', 'no', 'unknown'].includes(r.ready));
    assert.ok(Array.isArray((r as unknown as { reasons: unknown[] }).reasons));
  }
});

test('no_new_privs and unprivileged user namespaces are known by probe', () => {
  assert.equal(feature('no_new_privs').how, 'probe', feature('no_new_privs').evidence);
  assert.equal(feature('no_new_privs').state, 'yes', feature('no_new_privs').evidence);
  assert.match(feature('no_new_privs').evidence, /PR_GET_NO_NEW_PRIVS returned 1/);
  // This machine allows unprivileged user namespaces (recipes.md); unshare as a user is the oracle.
  const oracle = spawnSync('unshare', ['--user', '--map-root-user', 'true'], {
    ...(isRoot ? { uid: 65534, gid: 65534 } : {}),
  });
  assert.equal(feature('unprivileged_userns').how, 'probe');
  assert.equal(
    feature('unprivileged_userns').state,
    oracle.status === 0 ? 'yes' : 'no',
    feature('unprivileged_userns').evidence,
  );
});

test('Debian charliecloud and podman are found with the versions dpkg reports, in unprivileged mode', () => {
  for (const [id, pkg] of [
    ['charliecloud', 'charliecloud-runtime'],
    ['podman', 'podman'],
  ] as const) {
    const want = dpkgUpstream(pkg);
    assert.ok(want, `${pkg} must be installed by the test command`);
    const rt = runtime(id);
    assert.equal(rt.installed, true, id);
    assert.equal(rt.version, want, `${id} version`);
    assert.equal(rt.mode, 'unprivileged', `${id} mode`);
    assert.equal(rt.ready, feature('unprivileged_userns').state === 'yes' ? 'yes' : 'no', `${id} ready`);
  }
});

test('the setuid bit of newuidmap/newgidmap is reported as the file system has it', () => {
  for (const h of ['newuidmap', 'newgidmap']) {
    const st = fs.statSync(`/usr/bin/${h}`);
    const fact = facts.find((f) => f.id === `helper.${h}.setuid_root`);
    assert.ok(fact, `helper.${h}.setuid_root missing`);
    assert.equal(fact.value, (st.mode & 0o4000) !== 0 && st.uid === 0);
  }
});

test('probes change nothing on the host', () => {
  assert.equal(fs.readFileSync('/proc/self/mountinfo', 'utf8'), live.mountsBefore);
  assert.match(fs.readFileSync('/proc/self/status', 'utf8'), /^NoNewPrivs:\s+0$/m);
});

test(
  'as root the probes run as nobody, or as --as-user',
  { skip: !isRoot && !process.env.CI ? 'needs root' : false },
  () => {
    assert.ok(isRoot, 'CI runs as root');
    assert.equal((live.json.host as { probe_user: string }).probe_user, 'nobody');
    execFileSync('id', ['ctrtest']);
    const r = runJson(['check', '--as-user', 'ctrtest']);
    assert.equal((r.json.host as { probe_user: string }).probe_user, 'ctrtest');
    const userns = (r.json.features as Feat[]).find((f) => f.id === 'unprivileged_userns')!;
    assert.match(userns.evidence, /as ctrtest/);
    const bad = runCli(['check', '--as-user', 'root']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unprivileged user, not uid 0/);
  },
);
