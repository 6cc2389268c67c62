// Parses and validates a Container Device Interface spec (JSON or YAML) with bounds: what it names, hooks and binds.
import { load as loadYaml } from 'js-yaml';

/*
 * The CDI specification (github.com/cncf-tags/container-device-interface, SPEC.md): a spec file holds
 * "cdiVersion", "kind" ("vendor.com/class"), "devices" [{name, containerEdits}] and top-level
 * "containerEdits"; containerEdits carry "env", "deviceNodes" [{path}], "mounts" [{hostPath, containerPath}]
 * and "hooks" [{hookName, path, args}]. Runtimes (podman, CRI-O, containerd) read /etc/cdi and /var/run/cdi.
 */

/** Bounds for a file any package (or an attacker with root on a golden image) may have dropped there. */
export const CDI_LIMITS = { devices: 1024, edits: 4096, depth: 16, nodes: 200_000, text: 4096 };

export interface CdiSpec {
  cdiVersion: string;
  kind: string;
  /** Fully qualified device names: "nvidia.com/gpu=0", "nvidia.com/gpu=all". */
  devices: string[];
  /** Host paths of the hooks the runtime would run (as root for rootful containers). */
  hooks: string[];
  /** Each hook as "hookName path subcommand" (args[1], e.g. "createContainer /usr/bin/nvidia-cdi-hook update-ldcache"). */
  hookCalls: string[];
  /** Host paths that would be bound into a container. */
  mounts: string[];
  deviceNodes: string[];
}

export type CdiParse = { ok: true; spec: CdiSpec } | { ok: false; reason: string };

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const KIND_RE = /^[a-z0-9][a-z0-9.-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;
const VERSION_RE = /^\d+\.\d+(\.\d+)?$/;

/** Counts the nodes of a parsed document without recursion, so depth and size are bounded before we look inside. */
function measure(doc: unknown): { depth: number; nodes: number } {
  const stack: [unknown, number][] = [[doc, 1]];
  let depth = 0;
  let nodes = 0;
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    nodes++;
    if (d > depth) depth = d;
    // YAML anchors make a DAG whose paths grow exponentially: the node budget stops the walk, not the heap.
    if (nodes > CDI_LIMITS.nodes || depth > CDI_LIMITS.depth) break;
    if (v !== null && typeof v === 'object')
      for (const c of Array.isArray(v) ? v : Object.values(v as object)) stack.push([c, d + 1]);
  }
  return { depth, nodes };
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function readEdits(e: unknown, where: string, spec: CdiSpec): string | null {
  if (e === undefined) return null;
  if (!isObj(e)) return `${where}: containerEdits is not an object`;
  const list = (key: string): unknown[] | string => {
    const v = e[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) return `${where}.${key} is not a list`;
    if (v.length > CDI_LIMITS.edits) return `${where}.${key} has more than ${CDI_LIMITS.edits} entries`;
    return v as unknown[];
  };
  const path = (o: unknown, key: string, what: string): string | null => {
    if (!isObj(o) || typeof o[key] !== 'string' || o[key] === '' || o[key].length > CDI_LIMITS.text)
      return null;
    return o[key].startsWith('/') ? o[key] : `${what} ${o[key]}`;
  };
  const hooks = list('hooks');
  if (typeof hooks === 'string') return hooks;
  for (const h of hooks) {
    const p = path(h, 'path', 'relative hook path');
    if (p === null) return `${where}.hooks: an entry has no "path" string`;
    if (!isObj(h) || typeof h.hookName !== 'string') return `${where}.hooks: an entry has no "hookName"`;
    spec.hooks.push(p);
    const args = Array.isArray(h.args) ? (h.args as unknown[]) : [];
    const sub = typeof args[1] === 'string' ? args[1].slice(0, 64) : '';
    spec.hookCalls.push(`${h.hookName.slice(0, 32)} ${p} ${sub}`.trim());
  }
  const mounts = list('mounts');
  if (typeof mounts === 'string') return mounts;
  for (const m of mounts) {
    const p = path(m, 'hostPath', 'relative host path');
    if (p === null || !isObj(m) || typeof m.containerPath !== 'string')
      return `${where}.mounts: an entry lacks "hostPath" or "containerPath" strings`;
    spec.mounts.push(p);
  }
  const nodes = list('deviceNodes');
  if (typeof nodes === 'string') return nodes;
  for (const n of nodes) {
    const p = path(n, 'path', 'relative device path');
    if (p === null) return `${where}.deviceNodes: an entry has no "path" string`;
    spec.deviceNodes.push(p);
  }
  const env = list('env');
  if (typeof env === 'string') return env;
  if (env.some((x) => typeof x !== 'string')) return `${where}.env: an entry is not a string`;
  return null;
}

/** Parses one spec file's text; name decides JSON (".json") or YAML (the YAML JSON schema: data only). */
export function parseCdiSpec(text: string, name: string): CdiParse {
  let doc: unknown;
  try {
    doc = /\.json$/i.test(name) ? JSON.parse(text) : loadYaml(text, { json: true });
  } catch (e) {
    // A deeply nested document may exhaust the parser's stack: a RangeError is still just "not valid".
    const msg = e instanceof RangeError ? 'nested too deeply' : (e as Error).message.split('\n')[0];
    return { ok: false, reason: `not valid ${/\.json$/i.test(name) ? 'JSON' : 'YAML'} (${msg})` };
  }
  const m = measure(doc);
  if (m.depth > CDI_LIMITS.depth)
    return { ok: false, reason: `nested deeper than ${CDI_LIMITS.depth} levels` };
  if (m.nodes > CDI_LIMITS.nodes) return { ok: false, reason: `more than ${CDI_LIMITS.nodes} values` };
  if (!isObj(doc)) return { ok: false, reason: 'not a mapping' };
  const { cdiVersion, kind, devices } = doc;
  if (typeof cdiVersion !== 'string' || !VERSION_RE.test(cdiVersion))
    return { ok: false, reason: 'cdiVersion missing or not a version ("0.5.0")' };
  if (typeof kind !== 'string' || kind.length > 253 || !KIND_RE.test(kind))
    return { ok: false, reason: 'kind missing or not "vendor.com/class"' };
  if (!Array.isArray(devices) || devices.length === 0)
    return { ok: false, reason: 'devices is not a non-empty list' };
  if (devices.length > CDI_LIMITS.devices)
    return { ok: false, reason: `more than ${CDI_LIMITS.devices} devices` };
  const spec: CdiSpec = {
    cdiVersion,
    kind,
    devices: [],
    hooks: [],
    hookCalls: [],
    mounts: [],
    deviceNodes: [],
  };
  for (const [i, d] of devices.entries()) {
    if (!isObj(d) || typeof d.name !== 'string' || d.name.length > 253 || !NAME_RE.test(d.name))
      return { ok: false, reason: `devices[${i}]: name missing or not a device name` };
    if (!isObj(d.containerEdits)) return { ok: false, reason: `devices[${i}]: containerEdits missing` };
    const bad = readEdits(d.containerEdits, `devices[${i}]`, spec);
    if (bad) return { ok: false, reason: bad };
    spec.devices.push(`${kind}=${d.name}`);
  }
  const bad = readEdits(doc.containerEdits, 'containerEdits', spec);
  if (bad) return { ok: false, reason: bad };
  spec.hooks = [...new Set(spec.hooks)];
  spec.hookCalls = [...new Set(spec.hookCalls)];
  spec.mounts = [...new Set(spec.mounts)];
  spec.deviceNodes = [...new Set(spec.deviceNodes)];
  return { ok: true, spec };
}
