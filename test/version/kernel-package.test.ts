// Which package and version a running kernel came from, per distribution, from real release strings (issue 12).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyKernel } from '../../src/version/classify-kernel.js';
import { identifyKernel, type KernelPackageEntry } from '../../src/version/kernel-package.js';

const debian = (release: string, banner: string, packages: KernelPackageEntry[] = []) =>
  identifyKernel({ family: 'debian', release, banner, signature: '', osVersion: '', packages });

// Debian 11's kernel 5.10.0-11-amd64 (bullseye 11.3): the compiler is Debian's gcc-10 10.2.1-6.
const BULLSEYE =
  'Linux version 5.10.0-11-amd64 (debian-kernel@lists.debian.org) (gcc-10 (Debian 10.2.1-6) 10.2.1 20210110, GNU ld (GNU Binutils for Debian) 2.35.2) #1 SMP Debian 5.10.92-1 (2022-01-18)';

test("Debian's banner: the kernel's own version token, never the compiler's", () => {
  assert.equal(debian('5.10.0-11-amd64', BULLSEYE).package?.version, '5.10.92-1');
  // Without the kernel's token (a banner cut short, a rebuilt kernel), gcc's "(Debian 10.2.1-6)" is not taken.
  const noToken = BULLSEYE.replace(/ Debian 5\.10\.92-1 \(2022-01-18\)$/, '');
  const id = debian('5.10.0-11-amd64', noToken);
  assert.equal(id.package, null, `got ${id.package?.version}`);
  assert.match(id.missing!, /no package linux-image-5\.10\.0-11-amd64 is installed/);
  assert.equal(id.base, null);
});

test('Debian 12: 6.1.0-NN-amd64 is read as its package version 6.1.NNN-1 from dpkg, not 6.1.0', () => {
  // apt-cache show linux-image-6.1.0-57-amd64 on this machine: Source: linux-signed-amd64 (6.1.192+3), Version: 6.1.192-3.
  const id = debian('6.1.0-57-amd64', '', [
    {
      name: 'linux-image-6.1.0-57-amd64',
      version: '6.1.192-3',
      sourcePackage: 'linux-signed-amd64',
      from: 'dpkg status',
    },
    {
      name: 'linux-image-6.1.0-13-amd64',
      version: '6.1.55-1',
      sourcePackage: 'linux-signed-amd64',
      from: 'dpkg status',
    },
  ]);
  assert.deepEqual(
    [id.package?.name, id.package?.version, id.package?.syntax],
    ['linux', '6.1.192-3', 'debian'],
  );
  assert.deepEqual([id.base?.version, id.base?.stable], ['6.1.192', true]);
  // Without dpkg or banner the package version is missing, and said so.
  const none = debian('6.1.0-57-amd64', '');
  assert.equal(none.package, null);
  assert.match(none.missing!, /\/proc\/version does not name it and no package linux-image-6\.1\.0-57-amd64/);
});

test('Debian 13 names its stable release in the ABI ("6.12.117+deb13-amd64"): a Debian kernel, not mainline', () => {
  // apt-cache show linux-image-6.12.117+deb13-amd64 (trixie): Version 6.12.117-1.
  assert.equal(classifyKernel('6.12.117+deb13-amd64', '').family, 'debian');
  assert.equal(classifyKernel('6.12.12+bpo-amd64', '').family, 'debian');
  const id = debian('6.12.117+deb13-amd64', '');
  assert.deepEqual([id.base?.version, id.base?.stable], ['6.12.117', true]);
  const withPkg = debian('6.12.117+deb13-amd64', '', [
    {
      name: 'linux-image-6.12.117+deb13-amd64',
      version: '6.12.117-1',
      sourcePackage: 'linux-signed-amd64',
      from: 'dpkg status',
    },
  ]);
  assert.deepEqual([withPkg.package?.name, withPkg.package?.version], ['linux', '6.12.117-1']);
});

test('a kernel built by hand on a distribution is self-built: the compiler in its banner is no distribution marker', () => {
  const banner =
    'Linux version 6.6.30 (root@build01) (gcc (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP';
  assert.equal(classifyKernel('6.6.30', banner).family, 'mainline');
  assert.equal(
    classifyKernel('6.6.30', 'Linux version 6.6.30 (gcc (GCC) 8.5.0 20210514 (Red Hat 8.5.0-4)) #2 SMP')
      .family,
    'mainline',
  );
  const id = identifyKernel({
    family: 'mainline',
    release: '6.6.30',
    banner,
    signature: '',
    osVersion: '12',
    packages: [],
  });
  assert.deepEqual([id.package, id.base?.version, id.base?.stable], [null, '6.6.30', true]);
});

test('Ubuntu: the source package per flavour and HWE backport, from dpkg, the banner or version_signature', () => {
  const ubuntu = (
    release: string,
    banner: string,
    signature = '',
    packages: KernelPackageEntry[] = [],
    osVersion = '20.04',
  ) => identifyKernel({ family: 'ubuntu', release, banner, signature, osVersion, packages });
  // 20.04 with the 5.15 HWE kernel: `uname -v` "#101~20.04.1-Ubuntu SMP Thu Nov 16 14:22:28 UTC 2023" (public
  // transcripts), and the version_signature Ubuntu writes for that build.
  const hwe = ubuntu(
    '5.15.0-91-generic',
    'Linux version 5.15.0-91-generic (buildd@lcy02-amd64-045) #101~20.04.1-Ubuntu SMP Thu Nov 16 14:22:28 UTC 2023',
    'Ubuntu 5.15.0-91.101~20.04.1-generic 5.15.131',
  );
  assert.deepEqual([hwe.package?.name, hwe.package?.version], ['linux-hwe-5.15', '5.15.0-91.101~20.04.1']);
  assert.deepEqual([hwe.base?.version, hwe.base?.stable], ['5.15.131', true]);
  // The same from the banner alone.
  const banner = ubuntu('5.15.0-91-generic', '#101~20.04.1-Ubuntu SMP Thu Nov 16 14:22:28 UTC 2023');
  assert.deepEqual(
    [banner.package?.name, banner.package?.version, banner.base?.version, banner.base?.stable],
    ['linux-hwe-5.15', '5.15.0-91.101~20.04.1', '5.15.0', false],
    'without the signature only the branch point is known',
  );
  // dpkg's Source: decides when present (linux-signed-hwe-5.13 -> linux-hwe-5.13).
  const dpkg = ubuntu('5.13.0-52-generic', '', '', [
    {
      name: 'linux-image-5.13.0-52-generic',
      version: '5.13.0-52.59~20.04.1',
      sourcePackage: 'linux-signed-hwe-5.13',
      from: 'dpkg status',
    },
  ]);
  assert.deepEqual([dpkg.package?.name, dpkg.package?.version], ['linux-hwe-5.13', '5.13.0-52.59~20.04.1']);
  // 22.04's own kernel, an AWS kernel, and a 6.8 HWE AWS kernel.
  assert.equal(ubuntu('5.15.0-91-generic', '#101-Ubuntu SMP', '', [], '22.04').package?.name, 'linux');
  assert.equal(ubuntu('5.15.0-1051-aws', '#56-Ubuntu SMP', '', [], '22.04').package?.name, 'linux-aws');
  assert.equal(
    ubuntu('6.8.0-1015-aws', '#16~22.04.1-Ubuntu SMP', '', [], '22.04').package?.name,
    'linux-aws-6.8',
  );
  assert.equal(
    ubuntu('5.15.0-91-lowlatency', '#101-Ubuntu SMP', '', [], '22.04').package?.name,
    'linux-lowlatency',
  );
});

test('RHEL family: the release string is the package version; the RPM database names the source package', () => {
  const rhel = (release: string, packages: KernelPackageEntry[] = []) =>
    identifyKernel({ family: 'rhel', release, banner: '', signature: '', osVersion: '8.5', packages });
  assert.deepEqual(
    [
      rhel('4.18.0-348.12.2.el8_5.x86_64').package?.name,
      rhel('4.18.0-348.12.2.el8_5.x86_64').package?.version,
    ],
    ['kernel', '4.18.0-348.12.2.el8_5'],
  );
  const rt = rhel('4.18.0-348.20.1.rt7.150.el8_5.x86_64');
  assert.deepEqual([rt.package?.name, rt.base?.stable], ['kernel-rt', false]);
  const db = rhel('4.18.0-348.12.2.el8_5.x86_64', [
    {
      name: 'kernel-core',
      version: '4.18.0-305.3.1.el8',
      sourcePackage: 'kernel',
      arch: 'x86_64',
      from: 'RPM database',
    },
    {
      name: 'kernel-core',
      version: '4.18.0-348.12.2.el8_5',
      sourcePackage: 'kernel',
      arch: 'x86_64',
      from: 'RPM database',
    },
  ]);
  assert.match(db.package!.evidence, /package kernel-core 4\.18\.0-348\.12\.2\.el8_5 built from kernel/);
});

test('SUSE: the release drops the last release number, so the version is a prefix unless the RPM database is read', () => {
  const suse = (release: string, packages: KernelPackageEntry[] = []) =>
    identifyKernel({ family: 'suse', release, banner: '', signature: '', osVersion: '12.5', packages });
  const r = suse('4.12.14-122.110-default');
  assert.deepEqual(
    [r.package?.name, r.package?.version, r.package?.partial],
    ['kernel-default', '4.12.14-122.110', true],
  );
  const db = suse('4.12.14-122.110-default', [
    { name: 'kernel-default', version: '4.12.14-122.110.1', arch: 'x86_64', from: 'RPM database' },
  ]);
  assert.deepEqual([db.package?.version, db.package?.partial], ['4.12.14-122.110.1', false]);
});
