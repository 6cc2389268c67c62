// Builds dist/packages/ctrsafe_<version>-1_<arch>.deb and ctrsafe-<version>-1.<arch>.rpm with Debian's own tools
// (dpkg-deb; rpmbuild from Debian's rpm package): the single executable (no Node needed on nodes), man pages,
// bash and zsh completions, /etc/ctrsafe/ctrsafe.conf, the systemd units and the Slurm/NHC glue.
// Usage: npm run package  (after npm run build; builds the single executable when it is missing)
//        npm run package -- arm64  (on x64: the arm64/aarch64 packages, from scripts/build-sea.mjs arm64)
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';

const root = new URL('../', import.meta.url).pathname;
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const version = pkg.version;
const release = '1';
const nodeArch = process.argv[2] ?? process.arch;
const arch = { x64: { deb: 'amd64', rpm: 'x86_64' }, arm64: { deb: 'arm64', rpm: 'aarch64' } }[nodeArch];
const sea = nodeArch === process.arch ? 'dist/sea/ctrsafe' : `dist/sea-${nodeArch}/ctrsafe`;
const out = path.join(root, 'dist/packages');
// xz for what sites install (dpkg on Debian 11 and older reads no zstd); "none" for the tests, which install the
// packages and need no 90 s of compression on a busy 2-core machine.
const compression = process.env.CTRSAFE_PACKAGE_COMPRESSION ?? 'xz';
if (!['xz', 'none'].includes(compression)) fail('CTRSAFE_PACKAGE_COMPRESSION is xz or none');
const stage = path.join(out, `stage-${nodeArch}`);
const fail = (why) => {
  console.error(`package: ${why}`);
  process.exit(1);
};
if (!arch) fail(`no package architecture for ${nodeArch}`);
for (const tool of ['dpkg-deb', 'rpmbuild'])
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    fail(`${tool} is missing (Debian packages dpkg and rpm)`);
  }
if (!fs.existsSync(path.join(root, 'dist/share/man/man1/ctrsafe.1')))
  fail('dist/share is missing: run npm run build first');
if (!fs.existsSync(path.join(root, sea)))
  execFileSync(process.execPath, [path.join(root, 'scripts/build-sea.mjs'), nodeArch], { stdio: 'inherit' });

// SOURCE_DATE_EPOCH (reproducible-builds.org) or the last commit: the same sources give the same package bytes.
const epoch = Number(
  process.env.SOURCE_DATE_EPOCH ??
    execFileSync('git', ['-C', root, 'log', '-1', '--format=%ct'], { encoding: 'utf8' }).trim(),
);
const mtime = new Date(epoch * 1000);

// This architecture's packages and work directories only: the other architecture's packages stay.
const debFile = path.join(out, `ctrsafe_${version}-${release}_${arch.deb}.deb`);
const rpmFile = path.join(out, `ctrsafe-${version}-${release}.${arch.rpm}.rpm`);
for (const f of [stage, debFile, rpmFile]) fs.rmSync(f, { recursive: true, force: true });
const files = []; // [path in package, mode]
function put(rel, data, mode = 0o644) {
  const p = path.join(stage, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
  fs.chmodSync(p, mode);
  files.push([`/${rel}`, mode]);
}
const read = (rel) => fs.readFileSync(path.join(root, rel));
// Debian policy 12.3: man pages and changelogs gzip -9n (no name or time in the header).
const gz = (data) => {
  const z = gzipSync(data, { level: 9 });
  z.writeUInt32LE(0, 4); // MTIME
  z[9] = 3; // OS: Unix
  return z;
};

put('usr/bin/ctrsafe', read(sea), 0o755);
for (const sec of ['1', '5'])
  for (const f of fs.readdirSync(path.join(root, `dist/share/man/man${sec}`)).sort())
    put(`usr/share/man/man${sec}/${f}.gz`, gz(read(`dist/share/man/man${sec}/${f}`)));
put('usr/share/bash-completion/completions/ctrsafe', read('dist/share/bash-completion/completions/ctrsafe'));
put('usr/share/zsh/vendor-completions/_ctrsafe', read('dist/share/zsh/vendor-completions/_ctrsafe'));
put('etc/ctrsafe/ctrsafe.conf', read('contrib/etc/ctrsafe.conf'));
for (const u of ['ctrsafe-check.service', 'ctrsafe-check.timer', 'ctrsafe-fleet.service'])
  put(`usr/lib/systemd/system/${u}`, read(`contrib/systemd/${u}`));
put('usr/lib/sysusers.d/ctrsafe.conf', read('contrib/systemd/ctrsafe.sysusers'));
// The Slurm and NHC glue, pointed at the packaged binary; sites link or copy them into place (README).
const here = (rel) => read(rel).toString().replaceAll('/usr/local/bin/ctrsafe', '/usr/bin/ctrsafe');
put('usr/libexec/ctrsafe/slurm-healthcheck', here('contrib/slurm/ctrsafe-healthcheck'), 0o755);
put('usr/libexec/ctrsafe/slurm-prolog', here('contrib/slurm/ctrsafe-prolog'), 0o755);
put('usr/share/ctrsafe/nhc/ctrsafe.nhc', here('contrib/nhc/ctrsafe.nhc'));
put('usr/share/doc/ctrsafe/examples/gate.yaml', read('contrib/gate.yaml'));
put('usr/share/doc/ctrsafe/README.md', read('README.md'));
put('usr/share/doc/ctrsafe/changelog.gz', gz(read('CHANGELOG.md')));
put(
  'usr/share/doc/ctrsafe/changelog.Debian.gz',
  gz(
    `ctrsafe (${version}-${release}) unstable; urgency=medium\n\n  * Built from the ctrsafe sources; see changelog.gz for the changes.\n\n -- ctrsafe developers <ctrsafe@lists.example.org>  ${mtime.toUTCString().replace(/GMT$/, '+0000')}\n`,
  ),
);
// Each override says why the finding does not apply (lintian(1), "Overrides").
put('usr/share/lintian/overrides/ctrsafe', read('contrib/packaging/lintian-overrides'));
const nodeBin = execFileSync(process.execPath, [path.join(root, 'scripts/fetch-node.mjs')], {
  encoding: 'utf8',
}).trim();
const nodeLicense = path.join(path.dirname(path.dirname(nodeBin)), 'LICENSE');
put('usr/share/doc/ctrsafe/copyright', copyright(fs.readFileSync(nodeLicense, 'utf8')));
for (const f of files) fs.utimesSync(path.join(stage, f[0]), mtime, mtime);

function copyright(nodeLicenseText) {
  return `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: ctrsafe
Source: https://github.com/ctrsafe/ctrsafe

Files: *
Copyright: the ctrsafe developers
License: Apache-2.0
 On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.

Files: usr/bin/ctrsafe
Comment: a Node.js single executable application: Node.js ${pkg.ctrsafe.node} with ctrsafe's bundle and its
 npm dependencies inside: js-yaml, fzstd and typebox (MIT), smol-toml (BSD-3-Clause), d3-scale and d3-shape with
 the d3 modules they use (ISC; the fleet server draws its charts with them) and openpgp.js (LGPL-3.0-or-later,
 https://github.com/openpgpjs/openpgpjs). openpgp.js is carried unmodified, as its own dist/node/openpgp.min.cjs
 kept as one compressed unit in the bundle (scripts/bundle.mjs) and loaded only to verify an OpenPGP-signed SIF;
 LGPL-3.0 section 4 lets a user replace it: rebuild the bundle from the source package with another openpgp
 release in node_modules. On Debian systems the LGPL-3.0 text is in /usr/share/common-licenses/LGPL-3. The
 advisory data it carries states each source's licence (ctrsafe db status; docs/advisory-format.md).
Copyright: Node.js contributors; js-yaml, fzstd, typebox, smol-toml, d3 (Mike Bostock) and openpgp.js authors
License: Node.js AND MIT AND BSD-3-Clause AND ISC AND LGPL-3.0+

License: Node.js
${body(nodeLicenseText)}

License: MIT
${body(String(read('node_modules/js-yaml/LICENSE')))}

License: BSD-3-Clause
${body(String(read('node_modules/smol-toml/LICENSE')))}

License: ISC
${body(String(read('node_modules/d3-scale/LICENSE')))}

License: LGPL-3.0+
 On Debian systems the full text of the GNU Lesser General Public License version 3 is in
 /usr/share/common-licenses/LGPL-3.
`;
}

/** A licence text as a DEP-5 field body: indented one space, blank lines as " .". */
function body(text) {
  return text
    .trim()
    .split('\n')
    .map((l) => (l.trim() ? ` ${l}` : ' .'))
    .join('\n');
}

const installedKiB = Math.ceil(files.reduce((n, [f]) => n + fs.statSync(path.join(stage, f)).size, 0) / 1024);
const summary = 'container-security facts for HPC nodes, images and clusters';
const description = `ctrsafe tells HPC system managers which container runtimes (Apptainer,
SingularityCE, Shifter, Charliecloud, Podman, enroot, Sarus) can run on a
node, in which mode, how safely and what to change, from live probes first;
matches the kernel and runtimes against the distributions' own advisory data
offline; vets container images; gates Slurm nodes and jobs; and collects
every node's report into a fleet server.`;

// ---- .deb
const debRoot = path.join(out, `deb-${nodeArch}`);
fs.rmSync(debRoot, { recursive: true, force: true });
fs.cpSync(stage, debRoot, { recursive: true, preserveTimestamps: true });
const control = path.join(debRoot, 'DEBIAN');
fs.mkdirSync(control);
const w = (name, text, mode = 0o644) => {
  fs.writeFileSync(path.join(control, name), text);
  fs.chmodSync(path.join(control, name), mode);
};
w(
  'control',
  `Package: ctrsafe
Version: ${version}-${release}
Architecture: ${arch.deb}
Maintainer: ctrsafe developers <ctrsafe@lists.example.org>
Installed-Size: ${installedKiB}
Depends: libc6 (>= 2.28), libstdc++6 (>= 5), libgcc-s1 | libgcc1
Recommends: bubblewrap, uidmap, perl | python3
Suggests: squashfs-tools-ng, squashfuse, slurm-client
Section: admin
Priority: optional
Homepage: https://github.com/ctrsafe/ctrsafe
Description: ${summary}
${description
  .split('\n')
  .map((l) => ` ${l}`)
  .join('\n')}
`,
);
w('conffiles', '/etc/ctrsafe/ctrsafe.conf\n');
w(
  'postinst',
  `#!/bin/sh
# The fleet server's account (sysusers.d), and systemd told about the units; none is enabled here: sites choose
# (systemctl enable --now ctrsafe-check.timer on nodes, ctrsafe-fleet.service on the server).
set -e
if [ "$1" = configure ]; then
  # The code cache (root's, closed to others) and the gate's image verdicts live here.
  install -d -m 0755 /var/cache/ctrsafe
  if command -v systemd-sysusers >/dev/null 2>&1; then
    systemd-sysusers ctrsafe.conf
  elif ! getent passwd ctrsafe >/dev/null; then
    adduser --system --group --home /var/lib/ctrsafe-fleet --no-create-home ctrsafe >/dev/null
  fi
  if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi
fi
`,
  0o755,
);
w(
  'prerm',
  `#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ] && command -v deb-systemd-invoke >/dev/null; then
  deb-systemd-invoke stop ctrsafe-check.timer ctrsafe-check.service ctrsafe-fleet.service >/dev/null || true
fi
`,
  0o755,
);
w(
  'postrm',
  `#!/bin/sh
set -e
# A cache only: gone with the package's configuration.
if [ "$1" = purge ]; then rm -rf /var/cache/ctrsafe; fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi
`,
  0o755,
);
const md5 = execFileSync(
  'sh',
  [
    '-c',
    `cd "${debRoot}" && find . -path ./DEBIAN -prune -o -type f -print | sort | sed 's|^\\./||' | xargs md5sum`,
  ],
  { encoding: 'utf8' },
);
w('md5sums', md5);
const deb = debFile;
execFileSync(
  'dpkg-deb',
  ['--root-owner-group', ...(compression === 'xz' ? ['-Zxz', '-z6'] : ['-Znone']), '--build', debRoot, deb],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) },
  },
);

// ---- .rpm
const top = path.join(out, `rpmbuild-${nodeArch}`);
fs.rmSync(top, { recursive: true, force: true });
fs.mkdirSync(path.join(top, 'SPECS'), { recursive: true });
const rpmFiles = files
  .map(([f]) =>
    f === '/etc/ctrsafe/ctrsafe.conf'
      ? `%config(noreplace) ${f}`
      : f.startsWith('/usr/share/doc/')
        ? `%doc ${f}`
        : f,
  )
  .join('\n');
const spec = `Name: ctrsafe
Version: ${version}
Release: ${release}
Summary: Container-security facts for HPC nodes, images and clusters
License: Apache-2.0 AND MIT AND BSD-3-Clause AND ISC AND LGPL-3.0-or-later
Group: Applications/System
Packager: ctrsafe developers <ctrsafe@lists.example.org>
URL: https://github.com/ctrsafe/ctrsafe
${nodeArch === process.arch ? `BuildArch: ${arch.rpm}\n` : '# Another architecture: rpmbuild --target names it (a BuildArch the host cannot build is refused).\n'}# The single executable embeds Node.js (glibc >= 2.28: EL 8 and later, SLES 15 SP3 and later).
AutoReqProv: no
Requires: glibc >= 2.28, util-linux
Recommends: bubblewrap
%global _binary_payload ${compression === 'xz' ? 'w6.xzdio' : 'w0.ufdio'}
%global __os_install_post %{nil}
%global _build_id_links none
%description
${description}
%install
mkdir -p %{buildroot}/var/cache/ctrsafe
cp -a ${stage}/. %{buildroot}/
%pre
getent group ctrsafe >/dev/null || groupadd -r ctrsafe
getent passwd ctrsafe >/dev/null || useradd -r -g ctrsafe -d /var/lib/ctrsafe-fleet -s /sbin/nologin -c "ctrsafe fleet server" ctrsafe
exit 0
%post
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || :; fi
%preun
if [ "$1" = 0 ] && [ -d /run/systemd/system ]; then
  systemctl stop ctrsafe-check.timer ctrsafe-check.service ctrsafe-fleet.service >/dev/null 2>&1 || :
fi
%postun
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || :; fi
%files
%dir /etc/ctrsafe
%dir /usr/libexec/ctrsafe
%dir /usr/share/ctrsafe
%dir /usr/share/doc/ctrsafe
# The code cache (root's, closed to others) and the gate's image verdicts.
%dir %attr(0755,root,root) /var/cache/ctrsafe
${rpmFiles}
%changelog
* ${mtime.toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+).*$/, '$1 $3 $2 $4')} ctrsafe developers <ctrsafe@lists.example.org> - ${version}-${release}
- see /usr/share/doc/ctrsafe/changelog.gz
`;
fs.writeFileSync(path.join(top, 'SPECS/ctrsafe.spec'), spec);
execFileSync(
  'rpmbuild',
  [
    '--quiet',
    '--define',
    `_topdir ${top}`,
    '--define',
    `_rpmdir ${out}`,
    '--define',
    '_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm',
    '--target',
    arch.rpm,
    '-bb',
    path.join(top, 'SPECS/ctrsafe.spec'),
  ],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) } },
);
fs.rmSync(top, { recursive: true, force: true });
fs.rmSync(debRoot, { recursive: true, force: true });
fs.rmSync(stage, { recursive: true, force: true });
console.log(`wrote ${deb}`);
console.log(`wrote ${rpmFile}`);
