// Collects, per runtime: installed or not, version (its own output, then package databases), config keys, setuid helpers.
import * as path from 'node:path';
import type { HostRoot } from '../host/host-root.js';
import { addFact, type Facts } from '../facts/fact.js';
import { parseKeyValueConfig } from '../parse/key-value-config.js';
import type { CommandRecord } from '../host/snapshot-manifest.js';
import { RUNTIMES, RUNTIME_IDS, type RuntimeId } from '../runtimes/locations.js';
import type { PackageVersion } from './collect-packages.js';
import { readBinaryVersion } from './read-binary-version.js';
import { shifterSiteFsFacts } from './collect-shifter.js';
import { readProblem } from './read-helpers.js';

export interface VersionCommand {
  key: string;
  argv: string[];
}

/** The binary of each runtime at its first existing location. */
export function findRuntimeBinaries(root: HostRoot): Map<RuntimeId, string> {
  const out = new Map<RuntimeId, string>();
  for (const id of RUNTIME_IDS) {
    for (const p of RUNTIMES[id].binaries) {
      const st = root.stat(p);
      if (st.ok && st.type === 'file') {
        out.set(id, p);
        break;
      }
    }
  }
  return out;
}

/** The version commands to run on the live host; `singularity --version` serves both Singularity ids. */
export function versionCommands(binaries: Map<RuntimeId, string>): VersionCommand[] {
  const cmds = new Map<string, VersionCommand>();
  for (const [id, bin] of binaries) {
    const loc = RUNTIMES[id];
    if (loc.versionArgs.length === 0) continue;
    const argv = [bin, ...loc.versionArgs];
    const key = argv.join(' ');
    cmds.set(key, { key, argv });
  }
  return [...cmds.values()];
}

/** The package a version came from, and the distribution source package advisories name ("libpod" for podman). */
export function addPackageFacts(facts: Facts, pfx: string, name: string, p: PackageVersion): void {
  addFact(
    facts,
    `${pfx}.package`,
    `${name} ${p.version}`,
    'file',
    `package ${name} ${p.version} (${p.source})`,
  );
  if (p.sourcePackage)
    addFact(
      facts,
      `${pfx}.package_source`,
      p.sourcePackage,
      'file',
      `package ${name} is built from source package ${p.sourcePackage}`,
    );
  if (p.changelogFixes?.length)
    addFact(
      facts,
      `${pfx}.changelog_fixes`,
      p.changelogFixes,
      'file',
      `${p.changelogFrom ?? `the changelog of package ${name}`} names ${p.changelogFixes.length} CVE${p.changelogFixes.length === 1 ? '' : 's'} the database describes`,
    );
}

export function upstreamOf(pkgVersion: string): string {
  // Debian "1:4.13+dfsg1-1" and RPM "1.3.4-1.el8" both carry the upstream version between epoch and release;
  // Debian's repack suffixes (+ds1, +dfsg1) are not part of the upstream version.
  return pkgVersion
    .replace(/^\d+:/, '')
    .replace(/-[^-]*$/, '')
    .replace(/[+~](ds|dfsg|repack)\d*$/, '');
}

/** A distribution package never installs below /usr/local or /opt: a binary there is not the package's. */
export const packageOwns = (bin: string | undefined) =>
  bin === undefined || !/^\/(usr\/local|opt)\//.test(bin);

/**
 * The installed version, from the best source first (issue 12): the package database (its version carries
 * the distribution's revision, which its records judge), then the binary's own build information read without
 * running it, then the output of `--version` (live, or recorded in a snapshot).
 */
export function chooseVersion(
  root: HostRoot,
  facts: Facts,
  pfx: string,
  bin: string | undefined,
  loc: { versionArgs: string[]; versionPattern: RegExp },
  rec: CommandRecord | undefined,
  pkg: readonly [string, PackageVersion | undefined] | undefined,
): void {
  const fromPackage = () =>
    addFact(
      facts,
      `${pfx}.version`,
      upstreamOf(pkg![1]!.version),
      'file',
      `package ${pkg![0]} ${pkg![1]!.version} (${pkg![1]!.source})`,
    );
  if (pkg?.[1] && packageOwns(bin)) return fromPackage();
  const built = bin ? readBinaryVersion(root, bin) : null;
  if (built) return addFact(facts, `${pfx}.version`, built.version, 'file', built.evidence);
  // Some tools (ch-run 0.31) print their version on stderr.
  const text = rec ? (rec.stdout.trim() !== '' ? rec.stdout : rec.stderr) : '';
  const first =
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '';
  const m = rec && rec.exitCode === 0 ? loc.versionPattern.exec(first) : null;
  if (m)
    return addFact(
      facts,
      `${pfx}.version`,
      m[1]!,
      'probe',
      `\`${[path.basename(bin!), ...loc.versionArgs].join(' ')}\` printed "${first.slice(0, 80)}"`,
    );
  if (pkg?.[1]) return fromPackage();
  if (rec)
    addFact(
      facts,
      `${pfx}.version_problem`,
      first || rec.stderr.slice(0, 120),
      'probe',
      `\`${rec.argv.join(' ')}\` exited ${rec.exitCode}: ${(first || rec.stderr).slice(0, 120)}`,
    );
}

/** Which Singularity the shared `singularity` binary belongs to: its own version output decides, then packages. */
function singularityOwner(
  root: HostRoot,
  bin: string,
  out: CommandRecord | undefined,
  pkgs: Map<string, PackageVersion>,
): RuntimeId | 'apptainer-compat' | null {
  const r = root.resolve(bin);
  if (r.ok && path.basename(r.real) === 'apptainer') return 'apptainer-compat';
  const line = out?.stdout.split('\n')[0] ?? '';
  if (/^singularity-ce version/.test(line)) return 'singularity-ce';
  if (/^apptainer version/.test(line)) return 'apptainer-compat';
  if (/^(singularity version )?\d/.test(line)) return 'singularity';
  if (pkgs.has('singularity-ce')) return 'singularity-ce';
  if (RUNTIMES.singularity.packages.some((p) => pkgs.has(p))) return 'singularity';
  if (pkgs.has('apptainer')) return 'apptainer-compat';
  return null;
}

export function collectRuntimeFacts(
  root: HostRoot,
  facts: Facts,
  binaries: Map<RuntimeId, string>,
  outputs: Map<string, CommandRecord>,
  pkgs: Map<string, PackageVersion>,
): void {
  const shared = binaries.get('singularity');
  let owner: ReturnType<typeof singularityOwner> = null;
  if (shared) {
    owner = singularityOwner(root, shared, outputs.get(`${shared} --version`), pkgs);
    if (owner !== 'singularity-ce') binaries.delete('singularity-ce');
    if (owner !== 'singularity' && owner !== null) binaries.delete('singularity');
    if (owner === null) {
      binaries.delete('singularity-ce');
      addFact(
        facts,
        'runtime.singularity.ambiguous',
        true,
        'file',
        `${shared} exists but neither its version output nor a package tells Singularity from SingularityCE`,
      );
    }
  }
  const unsafe: string[] = [];
  const unknownOwner: string[] = [];
  for (const id of RUNTIME_IDS) {
    const loc = RUNTIMES[id];
    const bin = binaries.get(id);
    const pkg = loc.packages.map((p) => [p, pkgs.get(p)] as const).find(([, v]) => v !== undefined);
    // A package of the Singularity family is only evidence for the id that owns the shared binary.
    const pkgCounts =
      pkg !== undefined &&
      !((id === 'singularity' || id === 'singularity-ce') && owner !== null && owner !== id);
    const installed = bin !== undefined || pkgCounts;
    const pfx = `runtime.${id}`;
    addFact(
      facts,
      `${pfx}.installed`,
      installed,
      'file',
      bin
        ? `${root.display(bin)} exists`
        : pkgCounts
          ? `package ${pkg![0]} ${pkg![1]!.version} in ${pkg![1]!.source}`
          : `none of ${loc.binaries.slice(0, 3).join(', ')} exists and no package ${loc.packages.join('/')} is installed`,
    );
    if (!installed) continue;
    if (bin) addFact(facts, `${pfx}.binary`, bin, 'file', root.display(bin));

    const rec =
      bin && loc.versionArgs.length > 0 ? outputs.get([bin, ...loc.versionArgs].join(' ')) : undefined;
    chooseVersion(root, facts, pfx, bin, loc, rec, pkgCounts ? pkg : undefined);
    // A binary below /usr/local or /opt is not the package's: the package then says nothing of what runs.
    if (pkgCounts && packageOwns(bin)) addPackageFacts(facts, pfx, pkg![0], pkg![1]!);

    collectConfig(root, facts, id, unsafe, unknownOwner);
  }
  if (unknownOwner.length > 0 && unsafe.length === 0)
    addFact(
      facts,
      'runtime.config_files_owner_unknown',
      unknownOwner,
      'file',
      `the snapshot manifest does not record the owner and mode of ${unknownOwner.join(', ')}`,
    );
  else
    addFact(
      facts,
      'runtime.config_files_unsafe',
      unsafe,
      'file',
      unsafe.length
        ? `writable by non-root or not root-owned: ${unsafe.join('; ')}`
        : 'every runtime configuration file found is root-owned and not group/world-writable',
    );
  const img = facts.get('runtime.shifter.conf.imagepath')?.value;
  if (typeof img === 'string' && img.startsWith('/')) {
    const st = root.stat(img);
    if (st.ok && st.ownerKnown) {
      const writable = st.uid !== 0 || (st.perm & 0o022) !== 0;
      addFact(
        facts,
        'runtime.shifter.image_path_user_writable',
        writable,
        'file',
        `${root.display(img)}: mode ${(st.perm & 0o7777).toString(8).padStart(4, '0')}, uid ${st.uid}`,
      );
    }
  }
}

const MAX_CONFIG = 1024 * 1024;

function collectConfig(
  root: HostRoot,
  facts: Facts,
  id: RuntimeId,
  unsafe: string[],
  unknownOwner: string[],
): void {
  const loc = RUNTIMES[id];
  for (const p of loc.configs) {
    const r = root.readText(p, MAX_CONFIG);
    if (!r.ok && r.missing) continue;
    const pfx = `runtime.${id}`;
    const problem = readProblem(r, root, MAX_CONFIG);
    if (problem !== null) {
      addFact(facts, `${pfx}.config_problem`, problem, 'file', problem);
      return;
    }
    const text = (r as { text: string }).text;
    addFact(facts, `${pfx}.config`, p, 'file', `read ${root.display(p)}`);
    const st = root.stat(p);
    if (st.ok && !st.ownerKnown) unknownOwner.push(p);
    else if (st.ok && (st.uid !== 0 || (st.perm & 0o022) !== 0))
      unsafe.push(`${p} (mode ${(st.perm & 0o7777).toString(8).padStart(4, '0')}, uid ${st.uid})`);
    if (loc.configStyle === 'json') {
      try {
        const j = JSON.parse(text) as unknown;
        if (j && typeof j === 'object' && !Array.isArray(j))
          for (const [k, v] of Object.entries(j as Record<string, unknown>).slice(0, 500))
            if (['string', 'number', 'boolean'].includes(typeof v))
              addFact(
                facts,
                `${pfx}.conf.${k.toLowerCase()}`,
                String(v),
                'file',
                `${root.display(p)}: "${k}": ${String(v).slice(0, 80)}`,
              );
      } catch {
        addFact(
          facts,
          `${pfx}.config_problem`,
          `${root.display(p)}: not valid JSON`,
          'file',
          `${root.display(p)}: not valid JSON`,
        );
      }
      return;
    }
    if (loc.configStyle === 'none') return;
    const parsed = parseKeyValueConfig(text, loc.configStyle);
    for (const [k, vs] of parsed.values) {
      const v = vs[vs.length - 1]!;
      addFact(
        facts,
        `${pfx}.conf.${k}`,
        vs.length > 1 ? vs.join(', ') : v,
        'file',
        `${root.display(p)}: ${k} = ${(vs.length > 1 ? vs.join(', ') : v).slice(0, 120)}`,
      );
    }
    if (id === 'shifter') shifterSiteFsFacts(facts, root.display(p), parsed.values);
    if (parsed.badLines > 0)
      addFact(
        facts,
        `${pfx}.config_bad_lines`,
        parsed.badLines,
        'file',
        `${root.display(p)}: ${parsed.badLines} lines are not "key = value"`,
      );
    return;
  }
}
