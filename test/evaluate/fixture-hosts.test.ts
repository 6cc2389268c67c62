// Each distribution fixture (written from real distribution files, see its README) gets the readiness a
// system manager of that host would expect, from files alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { runCheck } from '../../src/cli/check-command.js';
import { FIXTURES } from '../helpers/tree.js';

type R = 'yes' | 'no' | 'unknown';
interface Expect {
  nnp: R;
  userns: R;
  /** runtime id -> [ready, installed mode or null] */
  ready: Record<string, [R, string | null]>;
  fails?: string[];
}

const Y: [R, null] = ['yes', null];
const N: [R, null] = ['no', null];
const U: [R, null] = ['unknown', null];

const EXPECT: Record<string, Expect> = {
  // CentOS 7.9: user.max_user_namespaces=0 by default, so every unprivileged runtime is out; setuid ones would work.
  'centos7-default': {
    nnp: 'yes',
    userns: 'no',
    ready: {
      singularity: Y,
      'singularity-ce': Y,
      apptainer: N,
      shifter: Y,
      charliecloud: N,
      podman: N,
      enroot: N,
      sarus: Y,
    },
    fails: ['CS-K002'],
  },
  'centos7-userns': {
    nnp: 'yes',
    userns: 'yes',
    ready: { charliecloud: ['yes', 'unprivileged'], podman: Y, apptainer: Y, enroot: Y },
  },
  rocky8: {
    nnp: 'yes',
    userns: 'yes',
    ready: { podman: ['yes', 'unprivileged'], charliecloud: Y, singularity: Y },
    fails: ['CS-H007'],
  },
  rocky9: {
    nnp: 'yes',
    userns: 'yes',
    ready: { apptainer: ['yes', 'unprivileged'], podman: ['yes', 'unprivileged'], singularity: Y },
  },
  // SLES 11 SP3: kernel 3.0, no no_new_privs, no user namespaces; its Singularity 2.4 cannot run safely.
  sles11sp3: {
    nnp: 'no',
    userns: 'no',
    ready: {
      singularity: ['no', 'setuid'],
      'singularity-ce': N,
      apptainer: N,
      charliecloud: N,
      podman: N,
      enroot: N,
      shifter: U,
    },
    fails: ['CS-K001'],
  },
  // Ubuntu 22.04: no AppArmor restriction yet (added in 23.10).
  ubuntu2204: {
    nnp: 'yes',
    userns: 'yes',
    ready: { podman: ['yes', 'unprivileged'], charliecloud: Y, apptainer: Y },
  },
  // Ubuntu 24.04: restricted for unconfined programs; podman and ch-run have profiles granting userns.
  ubuntu2404: {
    nnp: 'yes',
    userns: 'no',
    ready: { podman: ['yes', 'unprivileged'], charliecloud: Y, apptainer: U, enroot: U, singularity: Y },
    fails: ['CS-K002'],
  },
  // Debian 10: kernel.unprivileged_userns_clone=0.
  debian10: {
    nnp: 'yes',
    userns: 'no',
    ready: { charliecloud: N, podman: N, apptainer: N, singularity: Y },
    fails: ['CS-K002'],
  },
  debian12: {
    nnp: 'yes',
    userns: 'yes',
    ready: { charliecloud: ['yes', 'unprivileged'], podman: ['yes', 'unprivileged'] },
  },
  // Apptainer with apptainer-suid, user-writable file systems without nosuid.
  'apptainer-setuid': {
    nnp: 'yes',
    userns: 'yes',
    ready: { apptainer: ['yes', 'setuid'] },
    fails: ['CS-H001'],
  },
  // A CentOS 7 compute node with setuid Shifter and user namespaces off.
  'shifter-cray': { nnp: 'yes', userns: 'no', ready: { shifter: ['yes', 'setuid'], charliecloud: N } },
};

for (const [name, want] of Object.entries(EXPECT)) {
  test(`fixture ${name}: features and readiness`, async () => {
    const { report } = await runCheck({ root: path.join(FIXTURES, name) });
    assert.equal(report.host.source, 'root');
    const feature = (id: string) => report.features.find((f) => f.id === id)!;
    assert.equal(
      feature('no_new_privs').state,
      want.nnp,
      `no_new_privs: ${feature('no_new_privs').evidence}`,
    );
    assert.equal(
      feature('unprivileged_userns').state,
      want.userns,
      `unprivileged_userns: ${feature('unprivileged_userns').evidence}`,
    );
    for (const f of report.features)
      assert.notEqual(f.how, 'probe', `${f.id} claims a probe on a tree without recorded probes`);
    for (const [id, [ready, mode]] of Object.entries(want.ready)) {
      const rt = report.runtimes.find((r) => r.id === id)!;
      assert.equal(rt.ready, ready, `${id} ready: ${rt.reasons.join(' | ')}`);
      if (mode !== null) {
        assert.equal(rt.installed, true, `${id} should be installed`);
        assert.equal(rt.mode, mode, `${id} mode`);
      }
    }
    const failed = report.findings.filter((f) => f.status === 'fail').map((f) => f.id);
    for (const id of want.fails ?? [])
      assert.ok(failed.includes(id), `${id} should fail on ${name}; failed: ${failed.join(', ')}`);
    assert.deepEqual(report.problems, [], 'no read problems on a clean fixture');
  });
}

test('rocky9: the singularity compat symlink to apptainer is not reported as Singularity', async () => {
  const { report } = await runCheck({ root: path.join(FIXTURES, 'rocky9') });
  assert.equal(report.runtimes.find((r) => r.id === 'singularity')!.installed, false);
  assert.equal(report.runtimes.find((r) => r.id === 'singularity-ce')!.installed, false);
  assert.equal(report.runtimes.find((r) => r.id === 'apptainer')!.version, '1.3.4');
});

test('rocky8: newuidmap with file capabilities (RHEL shadow-utils) counts as privileged', async () => {
  const { report } = await runCheck({ root: path.join(FIXTURES, 'rocky8') });
  assert.equal(report.findings.find((f) => f.id === 'CS-H005')!.status, 'pass');
  const caps = report.facts.find((f) => f.id === 'helper.newuidmap.caps');
  assert.match(String(caps?.value), /cap_setuid/);
});

test('distribution kernels are recognised as such', async () => {
  const families: Record<string, string> = {
    rocky9: 'rhel',
    centos7_default: 'rhel',
    sles11sp3: 'suse',
    ubuntu2204: 'ubuntu',
    debian12: 'debian',
  };
  for (const [name, family] of Object.entries(families)) {
    const { report } = await runCheck({ root: path.join(FIXTURES, name.replace('_', '-')) });
    assert.equal(report.host.kernel.distro_kernel, true, name);
    assert.equal(report.host.kernel.family, family, name);
  }
});
