// The site's policy files, declared once: the image policy (`image audit --policy`, the gate's image_policy) and the
// gate policy (`gate --policy`). Their readers (src/image/image-policy.ts, src/gate/gate-policy.ts) take the
// document's type and its validation from here, and docs/schema/ publishes them, so an editor can check a policy
// before a node reads it. Each field words its own problem (x-problem, read by check-document.ts): the one line an
// operator sees.
import { Type, type Static, type TSchema } from 'typebox';
import { FindingKind } from './image-report.js';
import { Enum } from './kinds.js';
import { IMAGE_PROFILES, REQUIRE_SIGNATURE, RUNTIME_IDS, SEVERITIES } from './report-values.js';

/** The versions of these documents: bump one (and add a CHANGELOG line) whenever its declaration changes. */
export const IMAGE_POLICY_VERSION = '1.0.0';
export const GATE_POLICY_VERSION = '1.0.0';

const worded = <T extends TSchema>(t: T, problem: string): T => ({ ...t, 'x-problem': problem });
const oneOf = (values: readonly string[]) => `must be one of ${values.join(', ')} (got %v)`;
/** A policy file names its keys: one it does not know is a typo that would silently change nothing. */
const Mapping = <P extends Parameters<typeof Type.Object>[0]>(properties: P, description: string) =>
  Type.Object(properties, { additionalProperties: false, description, 'x-problem': 'must be a mapping' });

const Version = worded(Type.Literal(1), 'must be 1');
const AbsolutePath = (what: string) =>
  worded(Type.String({ pattern: '^/', maxLength: 4096 }), `must be an absolute ${what}`);

/** What every waiver carries: why (a few words at least) and the last day it applies. */
const Waiver = {
  reason: worded(Type.String({ pattern: '^\\s*\\S[\\s\\S]+\\S\\s*$' }), 'a waiver must say why'),
  expires: worded(
    Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', format: 'date' }),
    'must be a date YYYY-MM-DD (a waiver without an end is a rule change)',
  ),
};

const RequireSignature = worded(Enum(REQUIRE_SIGNATURE), `must be ${REQUIRE_SIGNATURE.join(', ')} (got %v)`);
const Kind = worded(FindingKind, `unknown finding kind %v (known: ${FindingKind.enum.join(', ')})`);
export const ImagePolicyAction = worded(Enum(['deny', 'warn', 'allow']), oneOf(['deny', 'warn', 'allow']));
export type ImagePolicyAction = Static<typeof ImagePolicyAction>;
const List = <T extends TSchema>(item: T, max: number) =>
  worded(Type.Array(item, { maxItems: max }), `must be a list of at most ${max} entries`);

export const ImagePolicyDocument = Mapping(
  {
    version: Version,
    /** The built-in starting point the policy refines; baseline unless it says strict. */
    profile: Type.Optional(worded(Enum(IMAGE_PROFILES), `must be ${IMAGE_PROFILES.join(' or ')} (got %v)`)),
    /** Per finding kind: deny, warn or allow. */
    kinds: Type.Optional({
      ...worded(
        Type.Object(kindActions(), { additionalProperties: false }),
        'must be a mapping of finding kind to deny/warn/allow',
      ),
      'x-unknown-key': `unknown finding kind %k (known: %known)`,
    }),
    /** Per path or glob inside the image ("*" within a component, "**" across), for one kind or all. */
    paths: Type.Optional(
      List(
        Type.Object({
          path: AbsolutePath('path or glob inside the image'),
          kind: Type.Optional(Kind),
          action: ImagePolicyAction,
        }),
        10_000,
      ),
    ),
    waivers: Type.Optional(
      List(Type.Object({ kind: Kind, path: Type.Optional(AbsolutePath('path or glob')), ...Waiver }), 10_000),
    ),
    /** SIF signatures: trusted (only `verified` passes), any (complete and unchanged, any key) or none (default). */
    require_signature: Type.Optional(RequireSignature),
  },
  'A site image policy (ctrsafe image audit --policy FILE), YAML or JSON.',
);
export type ImagePolicyDocument = Static<typeof ImagePolicyDocument>;

/** Every finding kind, optional, as the `kinds` mapping's fields. */
function kindActions() {
  const optional = Type.Optional(ImagePolicyAction);
  return Object.fromEntries(FindingKind.enum.map((k) => [k, optional])) as Record<
    Static<typeof FindingKind>,
    typeof optional
  >;
}

const Severity = Enum(SEVERITIES);
const Runtime = worded(Enum(RUNTIME_IDS), `unknown runtime %v (known: ${RUNTIME_IDS.join(', ')})`);

export const GatePolicyDocument = Mapping(
  {
    version: Version,
    /** Runtimes that must be ready on the node. */
    require_ready: Type.Optional(
      worded(Type.Array(Runtime, { maxItems: 64 }), 'must be a list of runtime ids'),
    ),
    /** Failed rules at or above this severity fail the node (default critical). */
    fail_on: Type.Optional(worded(Severity, oneOf(SEVERITIES))),
    /** Affected vulnerabilities at or above this severity fail the node; none: they never do (default critical). */
    vulnerabilities: Type.Optional(
      worded(Type.Union([Severity, Type.Literal('none')]), oneOf([...SEVERITIES, 'none'])),
    ),
    /** A required runtime whose readiness cannot be established: fail (default) or pass. */
    unknown_ready: Type.Optional(worded(Enum(['fail', 'pass']), 'must be fail or pass (got %v)')),
    /** When ctrsafe itself cannot judge the node: pass (default: never drain for its own error) or fail. */
    on_error: Type.Optional(worded(Enum(['pass', 'fail']), 'must be pass or fail (got %v)')),
    timeout_seconds: Type.Optional(
      worded(Type.Integer({ minimum: 1, maximum: 600 }), 'must be a whole number of seconds from 1 to 600'),
    ),
    /** The image policy the gate's image check applies (an absolute path). */
    image_policy: Type.Optional(AbsolutePath('path')),
    /** SIF signatures the image gate requires, on top of the image policy's (the stricter applies). */
    require_signature: Type.Optional(RequireSignature),
    /** Key files or directories the image gate trusts (default /etc/ctrsafe/keys when it exists). */
    keyring: Type.Optional(
      worded(
        Type.Union([
          Type.String({ pattern: '^/', maxLength: 4096 }),
          Type.Array(Type.String({ pattern: '^/', maxLength: 4096 }), { minItems: 1, maxItems: 64 }),
        ]),
        'must be an absolute path or a list of absolute paths (key files or directories)',
      ),
    ),
    waivers: Type.Optional(
      List(
        Type.Object({
          /** A rule id (CS-...) or a vulnerability id (CVE-..., GHSA-...). */
          id: worded(
            Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{1,63}$' }),
            'must be a rule or vulnerability id',
          ),
          ...Waiver,
        }),
        1000,
      ),
    ),
  },
  'A site gate policy (ctrsafe gate --policy FILE), YAML or JSON.',
);
export type GatePolicyDocument = Static<typeof GatePolicyDocument>;
