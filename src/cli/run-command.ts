// `ctrsafe run IMAGE -- COMMAND`: checks the host and the image, then launches on bubblewrap with the model's
// guarantees: own user namespace, no_new_privs, no capabilities, nosuid and nodev, a read-only image.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeError, InputError, UsageError } from '../errors.js';
import { fileIdentity } from '../gate/image-verdict-cache.js';
import { HostRoot } from '../host/host-root.js';
import { buildBwrapArgv, type ImageView, type TopEntry } from '../run/build-bwrap-argv.js';
import { findGpu } from '../run/gpu.js';
import { collectReadinessFacts, judgeReadiness } from '../run/host-readiness.js';
import { launch } from '../run/launch.js';
import { defaultRootfsCache } from '../run/rootfs-cache.js';
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
      hostRoot: opts.get('host-root'),
      cacheDir: opts.get('cache'),
      unpack: opts.has('unpack'),
    });
    return await runLaunch(spec, io);
  } catch (e) {
    io.stderr.write(`ctrsafe run: ${describeError(e).message}\n`);
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

  const readiness = judgeReadiness(
    collectReadinessFacts(spec.hostRoot ? HostRoot.open(spec.hostRoot) : HostRoot.live()),
  );
  if (!readiness.ok) {
    for (const r of readiness.refusals) io.stderr.write(`ctrsafe run: refused: ${r}\n`);
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
  let judged: string | null = null;
  if (policies.length) {
    // Loaded only when needed: the image readers are not part of a plain launch's start-up.
    const { gateImage } = await import('../gate/gate-image.js');
    judged = fs.statSync(spec.image, { throwIfNoEntry: false })?.isFile() ? fileIdentity(spec.image) : null;
    for (const policyFile of policies) {
      const verdict = await gateImage(spec.image, {
        policyFile,
        cacheDir: null,
        env: io.env,
        timeoutMs: 10 * 60_000,
      });
      if (!verdict.pass) {
        io.stderr.write(`ctrsafe run: refused: ${verdict.line.replace(/^ctrsafe: /, '')}\n`);
        return REFUSED;
      }
    }
  }
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const home = io.env.HOME ?? os.userInfo().homedir;
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), `ctrsafe-run-${uid}-`));
  let unmount: (() => void) | null = null;
  try {
    const rootfs = await rootfsFor(spec, io.env, runDir, (u) => (unmount = u));
    // What runs must be what was judged: the image file unchanged since its audit (not swapped, not rewritten).
    if (judged !== null && fileIdentity(spec.image) !== judged)
      throw new InputError(`${spec.image} changed after it was judged: not run`);
    const gpu = spec.gpu ? findGpu(io.env) : null;
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
      return 0;
    }
    return await launch(bwrap, plan, process.stdin.isTTY === true);
  } finally {
    (unmount as (() => void) | null)?.();
    fs.rmSync(runDir, { recursive: true, force: true });
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
): Promise<{ dir: string }> {
  const st = fs.statSync(spec.image, { throwIfNoEntry: false });
  if (st?.isDirectory() && !fs.existsSync(path.join(spec.image, 'oci-layout')))
    return { dir: fs.realpathSync(spec.image) };
  if (st?.isFile() && !spec.unpack) {
    const tools = fuseTools();
    const { detectFormat } = await import('../image/detect-format.js');
    const format = detectFormat(spec.image).format;
    if (tools && (format === 'squashfs' || format === 'sif')) {
      let offset = 0;
      if (format === 'sif') {
        const primary = (await import('../image/sif/read-sif.js')).readSif(spec.image).primary;
        if (primary?.fsType !== 'squashfs')
          throw new InputError(`${spec.image}: no primary squashfs partition to run`);
        offset = primary.offset;
      }
      const mnt = path.join(runDir, 'rootfs');
      onMount(mountSquashfs(tools, spec.image, offset, mnt));
      return { dir: mnt };
    }
  }
  const { prepareRootfs } = await import('../run/prepare-rootfs.js');
  return prepareRootfs(spec.image, spec.cacheDir ?? defaultRootfsCache(env));
}
