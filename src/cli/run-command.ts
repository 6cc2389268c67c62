// `ctrsafe run IMAGE -- COMMAND`: checks the host and the image, then launches on bubblewrap with the model's
// guarantees: own user namespace, no_new_privs, no capabilities, nosuid and nodev, a read-only image.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeError, InputError, UsageError } from '../errors.js';
import { HostRoot } from '../host/host-root.js';
import type { ImageBytes } from '../image/image-bytes.js';
import { escapeControl } from '../render/terminal-text.js';
import { buildBwrapArgv, type ImageView, type TopEntry } from '../run/build-bwrap-argv.js';
import { findGpu } from '../run/gpu.js';
import { collectReadinessFacts, judgeReadiness } from '../run/host-readiness.js';
import { launch } from '../run/launch.js';
import { ALLOW_ROOT_FILE, modeAllows, rootForOtherProblem, runIdentity } from '../run/run-identity.js';
import { makeTempDir, untrustedPathProblem } from '../host/safe-write.js';
import { progressLine } from './progress.js';
import { defaultRootfsCache, touchCacheEntry, trimRootfsCache } from '../run/rootfs-cache.js';
import { buildRunSpec, type RunSpec } from '../run/run-spec.js';
import { fuseTools, mountSquashfs } from '../run/squashfuse-mount.js';
import type { CliIo } from './io.js';
import type { CommandContext } from './spec.js';

const REFUSED = 125;
const SITE_IMAGE_POLICY = '/etc/ctrsafe/image-policy.yaml';
const BWRAP = ['/usr/bin/bwrap', '/bin/bwrap', '/usr/local/bin/bwrap'];

/** Shell-quoted, so --dry-run output can be pasted. */
const quote = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function imageView(rootfs: string): ImageView {
  return {
    list(rel: string): TopEntry[] {
      const out: TopEntry[] = [];
      for (const d of fs.readdirSync(path.join(rootfs, rel), { withFileTypes: true })) {
        if (d.isSymbolicLink())
          out.push({
            name: d.name,
            kind: 'symlink',
            target: fs.readlinkSync(path.join(rootfs, rel, d.name)),
          });
        else if (d.isDirectory()) out.push({ name: d.name, kind: 'dir' });
        else if (d.isFile()) out.push({ name: d.name, kind: 'file' });
      }
      return out.sort((a, b) => (a.name < b.name ? -1 : 1));
    },
    exists(rel: string): boolean {
      try {
        fs.lstatSync(path.join(rootfs, rel));
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** The image's /etc/passwd and /etc/group with the caller added, as Charliecloud and Apptainer do, so id and ls -l name them. */
function identityFiles(rootfs: string, runDir: string, uid: number, gid: number, home: string) {
  const files: { src: string; dst: string }[] = [];
  const user = os.userInfo();
  const add = (name: string, line: string, idField: number, id: number) => {
    const p = path.join(rootfs, 'etc', name);
    let text: string;
    try {
      if (!fs.lstatSync(p).isFile() || fs.statSync(p).size > 4 * 1024 * 1024) return;
      text = fs.readFileSync(p, 'utf8');
    } catch {
      return;
    }
    if (!text.split('\n').some((l) => l.split(':')[idField] === String(id)))
      text = `${text.replace(/\n?$/, '\n')}${line}\n`;
    const out = path.join(runDir, name);
    fs.writeFileSync(out, text, { mode: 0o644 });
    files.push({ src: out, dst: `/etc/${name}` });
  };
  add('passwd', `${user.username}:x:${uid}:${gid}:${user.username}:${home}:/bin/sh`, 2, uid);
  add('group', `${user.username}:x:${gid}:`, 2, gid);
  return files;
}

export async function runCommand({ io, opts, args, command }: CommandContext): Promise<number> {
  // Every failure of ctrsafe's own is 125, as podman and docker do: a job script can tell it from the command's
  // (the declaration says so too, for errors on the command line: src/cli/commands/run.ts).
  try {
    const spec = buildRunSpec({
      image: args[0]!,
      command,
      binds: opts.all('bind'),
      net: opts.choice('net'),
      fakeroot: opts.has('fakeroot'),
      noHome: opts.has('no-home'),
      cleanEnv: opts.has('cleanenv'),
      env: opts.all('env'),
      workdir: opts.get('workdir'),
      gpu: opts.has('gpu'),
      dryRun: opts.has('dry-run'),
      policy: opts.get('policy'),
      keyring: opts.all('keyring'),
      hostRoot: opts.get('host-root'),
      cacheDir: opts.get('cache'),
      cacheMaxSize: opts.get('cache-max-size'),
      unpack: opts.has('unpack'),
    });
    return await runLaunch(spec, io);
  } catch (e) {
    io.stderr.write(`ctrsafe run: ${escapeControl(describeError(e).message)}\n`);
    return REFUSED;
  }
}

async function runLaunch(spec: RunSpec, io: CliIo): Promise<number> {
  const bwrap = BWRAP.find((p) => fs.existsSync(p));
  if (!bwrap)
    throw new InputError('ctrsafe run needs bubblewrap (package bubblewrap on Debian, RHEL and SUSE)');
  for (const b of spec.binds)
    if (!fs.existsSync(b.src))
      throw new UsageError(`--bind ${b.src}: no such file or directory on this host`);

  // As root for another user (sudo) ctrsafe refuses unless an administrator allowed it: the launch needs no
  // privilege, and root would open binds and images the caller cannot.
  const who = runIdentity(
    { euid: process.geteuid?.() ?? 0, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
    io.env,
  );
  const asOther = rootForOtherProblem(
    who,
    fs.existsSync(ALLOW_ROOT_FILE) && untrustedPathProblem(ALLOW_ROOT_FILE) === null,
    spec.binds,
    (p, uid, gid, write) => {
      const st = fs.statSync(p, { throwIfNoEntry: false });
      return st !== undefined && modeAllows(st, uid, gid, write);
    },
  );
  if (asOther) {
    io.stderr.write(`ctrsafe run: refused: ${escapeControl(asOther)}\n`);
    return REFUSED;
  }

  const readiness = judgeReadiness(
    collectReadinessFacts(spec.hostRoot ? HostRoot.open(spec.hostRoot) : HostRoot.live()),
  );
  if (!readiness.ok) {
    for (const r of readiness.refusals) io.stderr.write(`ctrsafe run: refused: ${escapeControl(r)}\n`);
    return REFUSED;
  }

  // Without a site image policy every finding is only a warning here (the launch makes setuid bits, file
  // capabilities and device nodes inert), so the audit is skipped. The site's policy always applies; --policy can
  // add a stricter one, never replace it.
  const policies = [
    ...new Set([
      ...(fs.existsSync(SITE_IMAGE_POLICY) ? [SITE_IMAGE_POLICY] : []),
      ...(spec.policy ? [spec.policy] : []),
    ]),
  ];
  // What is judged is what runs: a file image is opened once and judged from those bytes (the image itself where
  // only the caller or root can write it, else a private copy), and the launch mounts or unpacks the same bytes.
  let bytes: ImageBytes | null = null;
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const home = io.env.HOME ?? os.userInfo().homedir;
  let runDir: string | null = null;
  let unmount: (() => void) | null = null;
  try {
    if (policies.length) {
      // Loaded only when needed: the image readers are not part of a plain launch's start-up.
      const { gateImage } = await import('../gate/gate-image.js');
      const { DEFAULT_KEYRING, loadKeyring } = await import('../image/sif/keyring.js');
      // A caller's keys can serve the caller's own policy, never the site's: its require_signature is judged with
      // the site's keyring only.
      const siteKeyring = fs.existsSync(DEFAULT_KEYRING) ? loadKeyring([DEFAULT_KEYRING]) : null;
      const ownKeyring = spec.keyring.length ? loadKeyring(spec.keyring) : siteKeyring;
      if (fs.statSync(spec.image, { throwIfNoEntry: false })?.isFile()) {
        const { imageBytes } = await import('../image/image-bytes.js');
        const { checkCacheDir } = await import('../run/prepare-rootfs.js');
        const cacheDir = spec.cacheDir ?? defaultRootfsCache(io.env);
        checkCacheDir(cacheDir);
        bytes = await imageBytes(spec.image, cacheDir);
      }
      for (const policyFile of policies) {
        const verdict = await gateImage(spec.image, {
          policyFile,
          cacheDir: null,
          env: io.env,
          timeoutMs: 10 * 60_000,
          // Signatures are verified over these same bytes, which are what the launch mounts or unpacks.
          ...(bytes ? { bytes } : {}),
          keyring: policyFile === SITE_IMAGE_POLICY ? siteKeyring : ownKeyring,
        });
        if (!verdict.pass) {
          io.stderr.write(`ctrsafe run: refused: ${verdict.line.replace(/^ctrsafe: /, '')}\n`);
          return REFUSED;
        }
      }
    }
    runDir = makeTempDir(`ctrsafe-run-${uid}-`);
    const rootfs = await rootfsFor(spec, io.env, runDir, (u) => (unmount = u), bytes);
    const gpu = spec.gpu ? findGpu(io.env, who.privileged) : null;
    if (gpu && gpu.devices.length === 0)
      io.stderr.write('ctrsafe run: --gpu: no NVIDIA device nodes on this host; continuing without them\n');
    const plan = buildBwrapArgv(
      spec,
      rootfs.dir,
      imageView(rootfs.dir),
      { uid, gid, home, cwd: process.cwd() },
      io.env,
      {
        binds: [],
        devices: gpu?.devices ?? [],
        files: [...identityFiles(rootfs.dir, runDir, uid, gid, home), ...(gpu?.files ?? [])],
        libDir: gpu?.libDir ?? null,
      },
    );
    if (spec.dryRun) {
      io.stdout.write(`${[bwrap, ...plan.argv].map(quote).join(' ')}\n`);
      // The command line binds files made for this launch (passwd, group): kept, so that it can be run as printed.
      if (!unmount) {
        io.stderr.write(
          `ctrsafe run: --dry-run keeps ${runDir}, which the command line binds; remove it after\n`,
        );
        runDir = null;
      }
      return 0;
    }
    return await launch(bwrap, plan, process.stdin.isTTY === true);
  } finally {
    (unmount as (() => void) | null)?.();
    if (runDir) fs.rmSync(runDir, { recursive: true, force: true });
    bytes?.close();
  }
}

/**
 * The directory to launch: a directory image as it is; squashfs and SIF mounted with squashfuse where the caller
 * may use FUSE (unless --unpack), else every other format unpacked once into the cache.
 */
async function rootfsFor(
  spec: RunSpec,
  env: NodeJS.ProcessEnv,
  runDir: string,
  onMount: (unmount: () => void) => void,
  bytes: ImageBytes | null,
): Promise<{ dir: string }> {
  const st = fs.statSync(spec.image, { throwIfNoEntry: false });
  if (!bytes && st?.isDirectory() && !fs.existsSync(path.join(spec.image, 'oci-layout')))
    return { dir: fs.realpathSync(spec.image) };
  if ((bytes || st?.isFile()) && !spec.unpack) {
    const tools = fuseTools();
    const { detectFormat } = await import('../image/detect-format.js');
    // The judged bytes by descriptor where there are any: squashfuse opens /proc/PID/fd/N, not the name.
    const file = bytes?.path ?? spec.image;
    const format = detectFormat(file).format;
    if (tools && (format === 'squashfs' || format === 'sif')) {
      let offset = 0;
      if (format === 'sif') {
        const sif = (await import('../image/sif/read-sif.js')).readSif(file);
        if (sif.ambiguousPrimary) throw new InputError(`${spec.image}: ${sif.ambiguousPrimary}: not run`);
        const primary = sif.primary;
        if (primary?.fsType !== 'squashfs')
          throw new InputError(`${spec.image}: no primary squashfs partition to run`);
        offset = primary.offset;
      }
      const mnt = path.join(runDir, 'rootfs');
      onMount(mountSquashfs(tools, file, offset, mnt));
      return { dir: mnt };
    }
  }
  const { prepareRootfs } = await import('../run/prepare-rootfs.js');
  const cacheDir = spec.cacheDir ?? defaultRootfsCache(env);
  // Unpacking a large image takes minutes: say so on a terminal (the tar stream's bytes; its length is unknown).
  const progress = progressLine({ stderr: process.stderr }, `unpacking ${escapeControl(spec.image)}`, null);
  const prepared = await prepareRootfs(spec.image, cacheDir, bytes ?? undefined, (n) =>
    progress.add(n),
  ).finally(() => progress.done());
  if (prepared.how === 'unpacked' && !spec.dryRun)
    process.stderr.write(`ctrsafe run: unpacked ${escapeControl(spec.image)} into ${prepared.dir}\n`);
  if (prepared.digest !== null) {
    touchCacheEntry(prepared.dir);
    if (prepared.how === 'unpacked') trimRootfsCache(cacheDir, spec.cacheMaxBytes, [prepared.digest]);
  }
  return prepared;
}
