// One advisory record as reviewed in advisories/*.json (docs/advisory-format.md): the OSV 1.6 fields ctrsafe reads
// and database_specific.ctrsafe, declared once. The advisory types (src/advisories/advisory.ts) come from it, and
// docs/schema/ctrsafe.advisory-1.json publishes it for reviewers' editors. Fields OSV has and ctrsafe does not read
// pass (a record is an OSV record first). Bounds are those of the reader (parseAdvisory).
import { Type, type Static } from 'typebox';
import { Enum } from './kinds.js';

/** The version of this document: bump it (and add a CHANGELOG line) whenever a declaration below changes. */
export const ADVISORY_RECORD_VERSION = '1.0.0';

const Text = (max = 4000) => Type.String({ maxLength: max });
const Texts = (maxItems = 200) => Type.Array(Text(), { maxItems });
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', format: 'date' });

/** One event of a range: exactly one of introduced, fixed, last_affected, limit (OSV 1.6 "affected[].ranges[]"). */
const event = <K extends string>(k: K) =>
  Type.Object({ [k]: Text(200) } as Record<K, ReturnType<typeof Text>>, { additionalProperties: false });
export const RangeEvent = Type.Union([
  event('introduced'),
  event('fixed'),
  event('last_affected'),
  event('limit'),
]);
export type RangeEvent = Static<typeof RangeEvent>;

export const AffectedRange = Type.Object({
  type: Enum(['SEMVER', 'ECOSYSTEM', 'GIT']),
  events: Type.Array(RangeEvent, { minItems: 1, maxItems: 100 }),
});
export type AffectedRange = Static<typeof AffectedRange>;

export const Affected = Type.Object({
  package: Type.Object({ ecosystem: Text(200), name: Text(300) }),
  ranges: Type.Optional(Type.Array(AffectedRange, { maxItems: 100 })),
  versions: Type.Optional(Texts(5000)),
  /** Which of the host's packages the range is about (the kernel, a runtime), and a reviewer's note. */
  database_specific: Type.Optional(
    Type.Object({
      ctrsafe_target: Type.Optional(Text(100)),
      ctrsafe_target_release: Type.Optional(Text(100)),
      note: Type.Optional(Text()),
    }),
  ),
});
export type Affected = Static<typeof Affected>;

/** A configuration key whose values leave the flaw reachable; `default` when the key is not set. */
export const ConfigPrecondition = Type.Object({
  target: Text(100),
  key: Text(200),
  in: Type.Array(Text(), { maxItems: 50 }),
  default: Type.Optional(Text(200)),
});
export type ConfigPrecondition = Static<typeof ConfigPrecondition>;

/**
 * A way the NVIDIA container toolkit's flawed code is run on a node: libnvidia-container's injection through
 * nvidia-container-cli, the toolkit's hooks in a CDI spec, or the hooks nvidia-container-runtime adds to a
 * container's OCI spec; `introduced` when that way only exists from a release on.
 */
export const NvidiaPath = Type.Object({
  path: Enum(['nvidia-container-cli', 'cdi-hooks', 'runtime-hooks']),
  introduced: Type.Optional(Text(40)),
});
export type NvidiaPath = Static<typeof NvidiaPath>;

export const Preconditions = Type.Object({
  setuid_mode: Type.Optional(Type.Boolean()),
  unprivileged_userns: Type.Optional(Type.Boolean()),
  config: Type.Optional(Type.Array(ConfigPrecondition, { maxItems: 20 })),
  nvidia_paths: Type.Optional(Type.Array(NvidiaPath, { maxItems: 3 })),
});
export type Preconditions = Static<typeof Preconditions>;

/** Listed in a catalogue of flaws exploited in the wild (CISA KEV), with the day it was added there. */
export const KnownExploited = Type.Object({ catalog: Type.Literal('CISA KEV'), date_added: Day });
export type KnownExploited = Static<typeof KnownExploited>;

/** database_specific.ctrsafe: the reviewer's judgement and its sources. */
export const CtrsafeJudgement = Type.Object({
  severity: Enum(['low', 'medium', 'high', 'critical']),
  preconditions: Type.Optional(Preconditions),
  /** The sources the record was checked against: at least one. */
  confirmed_from: Type.Array(Text(), { minItems: 1, maxItems: 200 }),
  /** What the reviewer could not confirm (said, never guessed). */
  unconfirmed: Type.Optional(Texts()),
  known_exploited: Type.Optional(KnownExploited),
});
export type CtrsafeJudgement = Static<typeof CtrsafeJudgement>;

export const Reference = Type.Object({ type: Type.Optional(Text(40)), url: Text(2000) });

export const AdvisoryRecord = Type.Object(
  {
    schema_version: Type.Optional(Text(20)),
    id: Type.String({ maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' }),
    aliases: Type.Optional(Texts()),
    related: Type.Optional(Texts()),
    summary: Text(),
    details: Type.Optional(Text()),
    published: Type.Optional(Text(40)),
    modified: Type.Optional(Text(40)),
    affected: Type.Array(Affected, { minItems: 1, maxItems: 500 }),
    /** CVSS vectors as the sources give them. */
    severity: Type.Optional(Type.Array(Type.Object({ type: Text(40), score: Text(200) }))),
    references: Type.Optional(Type.Array(Reference, { maxItems: 200 })),
    database_specific: Type.Object({ ctrsafe: CtrsafeJudgement }),
  },
  {
    title: 'ctrsafe advisory record',
    description: 'One reviewed advisory (advisories/*.json): OSV 1.6 with database_specific.ctrsafe.',
  },
);
export type AdvisoryRecord = Static<typeof AdvisoryRecord>;
