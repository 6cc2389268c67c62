// Reads a Go binary's build information without running it: the .go.buildinfo section (Go 1.18+), bounded.
//
// Layout (Go's debug/buildinfo and runtime/debug): the section starts with the 14-byte magic "\xff Go buildinf:",
// a pointer size byte and a flags byte; with flag 2 the Go version and the module information follow at offset
// 32 as two uvarint-length-prefixed strings. The module information is framed by 16-byte sentinels and holds
// tab-separated lines: "path", "mod <module> <version> <sum>", "dep ...", "build <key>=<value>".
import { DatabaseFormatError, type RandomAccess } from './random-access.js';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const MAX_SECTION = 1024 * 1024;

export interface GoBuildInfo {
  goVersion: string;
  path: string | null;
  /** The main module and its version ("(devel)" for a build from a checkout). */
  module: { path: string; version: string } | null;
  /** Build settings: "-ldflags", "vcs.revision", ... */
  settings: Map<string, string>;
}

/** The .go.buildinfo section of an ELF file, located through the section headers. */
function buildInfoSection(f: RandomAccess): Buffer | null {
  if (f.size < 64) return null;
  const h = f.read(0, 64);
  if (h.readUInt32BE(0) !== 0x7f454c46) return null; // not ELF
  const is64 = h[4] === 2;
  const le = h[5] === 1;
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const addr = (b: Buffer, o: number) =>
    is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o);
  const shoff = addr(h, is64 ? 0x28 : 0x20);
  const shentsize = u16(h, is64 ? 0x3a : 0x2e);
  const shnum = u16(h, is64 ? 0x3c : 0x30);
  const shstrndx = u16(h, is64 ? 0x3e : 0x32);
  if (shnum === 0 || shnum > 4096 || shentsize < (is64 ? 64 : 40) || shstrndx >= shnum) return null;
  const table = f.read(shoff, shnum * shentsize);
  const sec = (i: number) => {
    const o = i * shentsize;
    return {
      name: u32(table, o),
      offset: addr(table, o + (is64 ? 0x18 : 0x10)),
      size: addr(table, o + (is64 ? 0x20 : 0x14)),
    };
  };
  const strtab = sec(shstrndx);
  if (strtab.size > MAX_SECTION) return null;
  const names = f.read(strtab.offset, strtab.size);
  for (let i = 0; i < shnum; i++) {
    const s = sec(i);
    const end = names.indexOf(0, s.name);
    if (names.toString('latin1', s.name, end < 0 ? undefined : end) !== '.go.buildinfo') continue;
    return f.read(s.offset, Math.min(s.size, MAX_SECTION));
  }
  return null;
}

function uvarintString(b: Buffer, at: number): [string, number] {
  let n = 0;
  let shift = 0;
  for (;;) {
    if (at >= b.length || shift > 28)
      throw new DatabaseFormatError('a build information length is malformed');
    const c = b[at++]!;
    n += (c & 0x7f) * 2 ** shift;
    shift += 7;
    if (c < 0x80) break;
  }
  if (at + n > b.length) throw new DatabaseFormatError('a build information string runs past its section');
  return [b.toString('utf8', at, at + n), at + n];
}

export function readGoBuildInfo(f: RandomAccess): GoBuildInfo | null {
  const s = buildInfoSection(f);
  if (!s || s.length < 32 || !s.subarray(0, 14).equals(MAGIC)) return null;
  if ((s[15]! & 2) === 0) return null; // Go before 1.18: pointers into the data segment, not read here
  const [goVersion, next] = uvarintString(s, 32);
  let [mod] = uvarintString(s, next);
  if (mod.length >= 33) mod = mod.slice(16, -16); // the sentinels
  const info: GoBuildInfo = { goVersion, path: null, module: null, settings: new Map() };
  for (const line of mod.split('\n').slice(0, 5000)) {
    const [kind, a, b] = line.split('\t');
    if (kind === 'path' && a) info.path = a;
    else if (kind === 'mod' && a && b) info.module = { path: a, version: b };
    else if (kind === 'build' && a) {
      const eq = a.indexOf('=');
      if (eq > 0) info.settings.set(a.slice(0, eq), a.slice(eq + 1).replace(/^"|"$/g, ''));
    }
  }
  return info;
}

/**
 * The version a Go program reports for itself: a release module version ("v1.1.12"), else one set at link time
 * ("-X main.version=1.1.12", "-X github.com/.../version.Version=..."), as the project Makefiles do.
 */
export function goProgramVersion(info: GoBuildInfo): { version: string; how: string } | null {
  const v = info.module?.version;
  if (v && v !== '(devel)' && /^v\d+\.\d+\.\d+/.test(v) && !/[-.]\d{14}-[0-9a-f]{12}$/.test(v))
    return {
      version: v.replace(/^v/, '').replace(/\+incompatible$/, ''),
      how: `module ${info.module!.path} ${v}`,
    };
  const ld = info.settings.get('-ldflags') ?? '';
  const m =
    /-X[ =]'?(?:main\.version|main\.Version|[\w./-]+\/version\.(?:Version|version|gitVersion))=v?(\d+\.\d+(?:\.\d+)?(?:[-~+][\w.+~-]*)?)/.exec(
      ld,
    );
  return m ? { version: m[1]!, how: `-ldflags ${m[0].slice(0, 120)}` } : null;
}
