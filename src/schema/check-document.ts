// Checks a value against a schema of this folder, compiled once on first use: true, or the first problem in one line.
// A declaration may word its own problem: `x-problem` on a field ("must be a date YYYY-MM-DD", %v for the value
// found) and `x-unknown-key` on an object (%k for the key, %known for the keys it declares); without them the
// library's words are used.
import { Compile, type Validator } from 'typebox/compile';
import type { TSchema } from 'typebox';

const compiled = new WeakMap<TSchema, Validator>();

/** "/runtimes/0/id" as "runtimes[0].id": the path an operator reads in the report. */
export function readablePath(pointer: string): string {
  return segments(pointer).reduce(
    (out, p) => (/^\d+$/.test(p) ? `${out}[${p}]` : out ? `${out}.${p}` : p),
    '',
  );
}

const segments = (pointer: string) =>
  pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));

/** A key as one JSON pointer segment (RFC 6901: "~" as "~0", "/" as "~1"). */
const escaped = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

const quote = (v: unknown) => JSON.stringify(v)?.slice(0, 40) ?? String(v);

/** The value (or schema node) a JSON pointer ("/a/0", "#/properties/a") names inside `root`. */
function at(root: unknown, pointer: string): unknown {
  let v = root;
  for (const p of segments(pointer.replace(/^#/, ''))) v = (v as Record<string, unknown> | undefined)?.[p];
  return v;
}

type Node = { 'x-problem'?: string; 'x-unknown-key'?: string; properties?: Record<string, Node> } | undefined;

/** null when `value` fits `schema`; else the first problem, "runtimes[0].id: must be one of ..., not \"x\"". */
export function documentProblem(schema: TSchema, value: unknown): string | null {
  let v = compiled.get(schema);
  if (!v) compiled.set(schema, (v = Compile(schema)));
  if (v.Check(value)) return null;
  const errors = v.Errors(value);
  // A failed check always has an error to name; if the library ever gives none, still one line, never a throw.
  if (errors.length === 0) return 'the document does not fit its schema';
  // The deepest errors name the field itself, not the union or intersection around it.
  const depth = Math.max(...errors.map((e) => e.instancePath.length));
  const deepest = errors.filter((e) => e.instancePath.length === depth);
  const wordsOf = (e: (typeof errors)[number]) => (at(schema, e.schemaPath) as Node)?.['x-problem'];
  const said = (e: (typeof errors)[number], words: string) =>
    `${readablePath(e.instancePath) || 'the document'}: ${words.replace('%v', quote(at(value, e.instancePath)))}`;
  // A union that words its problem speaks for its alternatives ("an absolute path or a list of them"), the outermost
  // first; otherwise the deepest field's own words.
  const inside = deepest[0]!.instancePath;
  const union = errors
    .filter((e) => e.keyword === 'anyOf' && wordsOf(e) && `${inside}/`.startsWith(`${e.instancePath}/`))
    .sort((a, b) => a.instancePath.length - b.instancePath.length)[0];
  if (union) return said(union, wordsOf(union)!);
  // A missing or unknown key is worded by the field (below), not by the object that lacks or holds it.
  for (const e of deepest)
    if (e.keyword !== 'required' && e.keyword !== 'additionalProperties' && wordsOf(e))
      return said(e, wordsOf(e)!);
  const where = readablePath(inside) || 'the document';
  const got = at(value, inside);
  const e = deepest[0]!;
  const params = e.params as { allowedValues?: unknown[]; requiredProperties?: string[] };
  if (e.keyword === 'required' && params.requiredProperties) {
    const missing = params.requiredProperties;
    // One missing field is named by its path, in its declaration's words when they need no value.
    const worded = (at(schema, e.schemaPath) as Node)?.properties?.[missing[0]!]?.['x-problem'];
    if (missing.length === 1)
      return `${readablePath(`${e.instancePath}/${escaped(missing[0]!)}`)}: ${worded && !worded.includes('%v') ? worded : 'missing'}`;
    return `${where}: ${missing.join(', ')} missing`;
  }
  // A key where the declaration allows none (additionalProperties: false).
  if (e.keyword === 'boolean' && e.schemaPath.endsWith('/additionalProperties')) {
    const parent = at(schema, e.schemaPath.slice(0, -'/additionalProperties'.length)) as Node;
    const key = segments(e.instancePath).at(-1) ?? '';
    const known = Object.keys(parent?.properties ?? {}).join(', ');
    return `${where}: ${(parent?.['x-unknown-key'] ?? 'unknown key (known: %known)').replace('%known', known).replace('%k', quote(key))}`;
  }
  if (e.keyword === 'enum' && params.allowedValues)
    return `${where}: ${quote(got)} is not one of ${params.allowedValues.join(', ')}`;
  return `${where} ${e.message}${typeof got === 'string' || typeof got === 'number' ? ` (${quote(got)})` : ''}`;
}
