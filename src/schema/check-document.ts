// Checks a value against a schema of this folder, compiled once on first use: true, or the first problem in one line.
import { Compile, type Validator } from 'typebox/compile';
import type { TSchema } from 'typebox';

const compiled = new WeakMap<TSchema, Validator>();

/** "/runtimes/0/id" as "runtimes[0].id": the path an operator reads in the report. */
export function readablePath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((out, p) => (/^\d+$/.test(p) ? `${out}[${p}]` : out ? `${out}.${p}` : p), '');
}

const quote = (v: unknown) => JSON.stringify(v)?.slice(0, 40) ?? String(v);

function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const p of pointer.split('/').slice(1))
    v = (v as Record<string, unknown> | undefined)?.[p.replace(/~1/g, '/').replace(/~0/g, '~')];
  return v;
}

/** null when `value` fits `schema`; else the first problem, "runtimes[0].id: must be one of ..., not \"x\"". */
export function documentProblem(schema: TSchema, value: unknown): string | null {
  let v = compiled.get(schema);
  if (!v) compiled.set(schema, (v = Compile(schema)));
  if (v.Check(value)) return null;
  const errors = v.Errors(value);
  // A failed check always has an error to name; if the library ever gives none, still one line, never a throw.
  if (errors.length === 0) return 'the document does not fit its schema';
  // The deepest error names the field itself, not the union or intersection around it.
  const e = errors.reduce((a, b) => (b.instancePath.length > a.instancePath.length ? b : a));
  const where = readablePath(e.instancePath) || 'the document';
  const params = e.params as { allowedValues?: unknown[]; requiredProperties?: string[] };
  if (e.keyword === 'required' && params.requiredProperties)
    return `${where}: ${params.requiredProperties.join(', ')} missing`;
  // A field where the declaration allows none (additionalProperties: false) is named as such, not "schema is false".
  if (e.keyword === 'boolean' && e.schemaPath.endsWith('/additionalProperties'))
    return `${where}: not a field of this document`;
  const got = valueAt(value, e.instancePath);
  if (e.keyword === 'enum' && params.allowedValues)
    return `${where}: ${quote(got)} is not one of ${params.allowedValues.join(', ')}`;
  return `${where} ${e.message}${typeof got === 'string' || typeof got === 'number' ? ` (${quote(got)})` : ''}`;
}
