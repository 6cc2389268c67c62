// The fixture hosts of every family (real version strings, the package databases a real node has) get the right
// package and version for the kernel and each runtime, and verdicts decided by the shipped data; what stays
// unknown names the datum that is missing (issue 12, "Done when").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { runCheck } from '../../src/cli/check-command.js';
import { fixtureHost } from '../helpers/fixture-host.js';

/** fixture -> the kernel package version ctrsafe must read, and runtime versions where a package database holds them. */
const HOSTS: Record<string, { kernel: string; pkg: string; runtimes?: Record<string, string> }> = {
  'centos7-default': { kernel: '3.10.0-1160.el7', pkg: 'kernel' },
  rocky8: {
    kernel: '4.18.0-553.27.1.el8_10',
    pkg: 'kernel',
    runtimes: {
      podman: '4:4.9.4-15.module+el8.10.0+1880+8e896d1b',
      runc: '1:1.1.12-5.module+el8.10.0+1874+ce489889',
    },
  },
  rocky9: {
    kernel: '5.14.0-427.35.1.el9_4',
    pkg: 'kernel',
    runtimes: { podman: '4:4.9.4-13.el9_4', runc: '4:1.1.12-1.el9_3', apptainer: '1.3.4' },
  },
  sles12sp5: { kernel: '4.12.14-122.110.1', pkg: 'kernel-default' },
  sles15sp3: { kernel: '5.3.18-150300.59.49.1', pkg: 'kernel-default' },
  'ubuntu2004-hwe': {
    kernel: '5.15.0-91.101~20.04.1',
    pkg: 'linux-hwe-5.15',
    runtimes: { apptainer: '1.2.5' },
  },
  ubuntu2204: { kernel: '5.15.0-91.101', pkg: 'linux', runtimes: { podman: '3.4.4+ds1-1ubuntu1' } },
  ubuntu2404: {
    kernel: '6.8.0-41.41',
    pkg: 'linux',
    runtimes: { podman: '4.9.3+ds1-1ubuntu0.2', crun: '1.14.1-1' },
  },
  debian11: {
    kernel: '5.10.223-1',
    pkg: 'linux',
    runtimes: {
      podman: '3.0.1+dfsg1-3+deb11u5',
      runc: '1.0.0~rc93+ds1-5+deb11u5',
      crun: '0.17+dfsg-1+deb11u2',
    },
  },
  debian12: {
    kernel: '6.1.129-1',
    pkg: 'linux',
    runtimes: { podman: '4.3.1+ds1-8+deb12u1+b3', crun: '1.8.1-1+deb12u1' },
  },
  debian13: {
    kernel: '6.12.117-1',
    pkg: 'linux',
    runtimes: { podman: '5.4.2+ds1-2+b2', runc: '1.1.15+ds1-2+deb13u1', crun: '1.21-1' },
  },
  selfbuilt: { kernel: '6.6.30', pkg: 'Linux/Kernel' },
};

/** What an unknown verdict must say: the record, version or decision that is missing. */
const NAMES_MISSING =
  /no .+ record for .+ in the database|has no .+ record for|records this flaw only for other|installed version is not known|package version|has not decided|states no verdict|cannot be compared|differs only in N/;

/**
 * Fixture hosts that do not reach 95% with the shipped data, and the data that is missing (docs/distro-data.md).
 * Each entry is a gap of issue 12, not an accepted figure: remove it when the data arrives.
 */
const SHORT_OF_DATA: Record<string, { kernel?: string; all?: string }> = {
  sles12sp5: {
    kernel:
      "SUSE data (38/42): SUSE's per-CVE records (scripts/distro-data/inputs/suse-cves), each read whole, name SLES 12 SP5 under no status for CVE-2017-1000112, CVE-2018-18955 (ProductStatuses null), CVE-2022-1015 and CVE-2022-32250 (no 12 SP5 product or image under Fixed, Known Not Affected or Known Affected)",
    all: 'SUSE data',
  },
  sles15sp3: {
    kernel:
      'SUSE data (39/42): the records of CVE-2022-1015, CVE-2024-53150 and CVE-2024-53197, each read whole, name no SLES 15 SP3 product or image under any status (the last two list only its container-host images, under Known Affected and without a package)',
    all: 'SUSE data',
  },
};

for (const [name, want] of Object.entries(HOSTS))
  test(`${name}: kernel ${want.kernel} and its runtimes read right; verdicts decided, unknowns named`, async (t) => {
    const root = fixtureHost(name);
    const { report } = await runCheck({ root, dbDir: path.join(root, 'no-store') });
    assert.deepEqual(report.problems, [], 'every package database read');
    const all = [
      ...report.vulnerabilities.map((v) => ({ ...v, verdict: v.match as string })),
      ...report.resolved.map((v) => ({ ...v, verdict: v.status as string })),
    ];
    const kernel = all.filter((v) => v.target === 'kernel');
    assert.ok(kernel.length >= 20, `${kernel.length} kernel verdicts`);
    for (const v of kernel) assert.equal(v.installed_version, want.kernel, `${v.id}: ${v.reason}`);
    const decidedByPackage = kernel.filter((v) => !v.package.startsWith('Linux/'));
    for (const v of decidedByPackage)
      assert.ok(
        v.package.endsWith(`/${want.pkg}`) || v.package === want.pkg,
        `${v.id} decided by ${v.package}`,
      );
    for (const [rt, version] of Object.entries(want.runtimes ?? {})) {
      const vs = all.filter((v) => v.target === rt);
      assert.ok(vs.length > 0, `${rt} has verdicts`);
      for (const v of vs)
        assert.ok(
          v.installed_version === version || version.includes(`${v.installed_version}`),
          `${rt} ${v.id}: ${v.installed_version}`,
        );
    }
    for (const v of all.filter((x) => x.verdict === 'unknown'))
      assert.match(v.reason, NAMES_MISSING, `${v.id} ${v.target}`);
    // The issue's measure, from the shipped data: at least 95% of the kernel verdicts, and of the kernel and
    // runtime verdicts together, decided. Hosts whose distribution data the database does not hold yet are
    // listed in SHORT_OF_DATA and run as todo: their figure is still computed and printed, and they fail loudly
    // in the todo list instead of passing.
    const unknowns = (vs: typeof all) => vs.filter((v) => v.verdict === 'unknown');
    for (const [what, judged] of [
      ['kernel', kernel],
      ['kernel and runtime', all],
    ] as const) {
      const missing = unknowns(judged);
      const decided = judged.length - missing.length;
      t.diagnostic(`${name}: ${what} verdicts decided ${decided}/${judged.length}`);
      const short = SHORT_OF_DATA[name]?.[what === 'kernel' ? 'kernel' : 'all'];
      const check = () =>
        assert.ok(
          decided >= 0.95 * judged.length,
          `${what}: ${decided}/${judged.length} decided; unknown: ${missing.map((v) => `${v.id} ${v.target}`).join(', ')}`,
        );
      if (!short) check();
      // A gap that closed must leave the list, so the list stays the truth.
      else if (decided >= 0.95 * judged.length)
        assert.fail(`${name} reaches 95% (${what}): remove SHORT_OF_DATA`);
      else await t.test(`${what} verdicts 95% decided`, { todo: short }, check);
    }
  });
