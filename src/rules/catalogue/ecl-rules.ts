// The runtimes' own enforcement of signed images: Apptainer's and SingularityCE's execution control list (ecl.toml).
import type { Reference, Rule } from '../rule.js';
import { REF } from './references.js';

type EclRuntime = 'apptainer' | 'singularity-ce';
const NAME: Record<EclRuntime, string> = { apptainer: 'Apptainer', 'singularity-ce': 'SingularityCE' };
const CONF: Record<EclRuntime, string> = {
  apptainer: '/etc/apptainer/ecl.toml',
  'singularity-ce': '/usr/local/etc/singularity/ecl.toml',
};

function sources(rt: EclRuntime): Reference[] {
  return [
    rt === 'apptainer' ? REF.apptainerConf : REF.singularityConf,
    rt === 'apptainer' ? REF.apptainerEcl : REF.singularityEcl,
    REF.sifIntegrity,
  ];
}

const installed = (rt: EclRuntime) => ({ fact: `runtime.${rt}.installed`, op: 'eq' as const, value: true });
const activated = (rt: EclRuntime) => ({
  fact: `runtime.${rt}.ecl.activated`,
  op: 'eq' as const,
  value: true,
});

/** Four rules per runtime: on with keys where the site trusts keys, no legacy signatures, valid and root's, enforceable. */
function eclRules(rt: EclRuntime, first: number): Rule[] {
  const name = NAME[rt];
  const id = (n: number) => `CS-R0${first + n}`;
  return [
    {
      id: id(0),
      title: `${name}'s execution control list requires the site's signing keys`,
      severity: 'medium',
      applies: { all: [installed(rt), { fact: 'ctrsafe.keyring.openpgp_files', op: 'gt', value: 0 }] },
      check: { all: [activated(rt), { fact: `runtime.${rt}.ecl.keys`, op: 'gt', value: 0 }] },
      affects: [rt],
      rationale: `The site keeps trusted OpenPGP signing keys (/etc/ctrsafe/keys), but a prolog's verdict on an image path cannot bind what ${name} opens later: the job's user can replace the file in between. ${name}'s execution control list checks the signatures when the runtime opens the image; off, or without a whitelisted key, it lets any SIF run.`,
      remediation: `Write the list from the site keyring: \`ctrsafe image ecl --keyring /etc/ctrsafe/keys -o ${CONF[rt]}\`, and import the same OpenPGP keys into the runtime's global keyring (\`${rt === 'apptainer' ? 'apptainer' : 'singularity'} key import --global FILE\`).`,
      references: sources(rt),
      recommendedBy: [`${name} admin guide: ecl.toml`],
      examples: [
        {
          facts: {
            [`runtime.${rt}.installed`]: true,
            'ctrsafe.keyring.openpgp_files': 2,
            [`runtime.${rt}.ecl.activated`]: true,
            [`runtime.${rt}.ecl.keys`]: 1,
          },
          expect: 'pass',
        },
        {
          facts: {
            [`runtime.${rt}.installed`]: true,
            'ctrsafe.keyring.openpgp_files': 2,
            [`runtime.${rt}.ecl.activated`]: false,
            [`runtime.${rt}.ecl.keys`]: 1,
          },
          expect: 'fail',
        },
        {
          facts: {
            [`runtime.${rt}.installed`]: true,
            'ctrsafe.keyring.openpgp_files': 1,
            [`runtime.${rt}.ecl.activated`]: true,
            [`runtime.${rt}.ecl.keys`]: 0,
          },
          expect: 'fail',
        },
        {
          facts: { [`runtime.${rt}.installed`]: true, 'ctrsafe.keyring.openpgp_files': 0 },
          expect: 'not-applicable',
        },
      ],
    },
    {
      id: id(1),
      title: `${name}'s execution control list refuses legacy signatures`,
      severity: 'high',
      applies: { all: [installed(rt), activated(rt)] },
      check: { fact: `runtime.${rt}.ecl.legacyinsecure`, op: 'ne', value: true },
      affects: [rt],
      rationale: `With legacyinsecure = true the list accepts legacy (SIFHASH) signatures and verifies only the primary partition's data: no descriptor, no header and no other object is covered, so an overlay partition or a changed descriptor added to a signed image still runs.`,
      remediation: `Set legacyinsecure = false in ${CONF[rt]} and re-sign old images with a current ${name} (\`${rt === 'apptainer' ? 'apptainer' : 'singularity'} sign\`).`,
      references: sources(rt),
      recommendedBy: [`${name} admin guide: ecl.toml`, 'sylabs/sif integrity package (OptVerifyLegacy)'],
      examples: [
        {
          facts: {
            [`runtime.${rt}.installed`]: true,
            [`runtime.${rt}.ecl.activated`]: true,
            [`runtime.${rt}.ecl.legacyinsecure`]: false,
          },
          expect: 'pass',
        },
        {
          facts: {
            [`runtime.${rt}.installed`]: true,
            [`runtime.${rt}.ecl.activated`]: true,
            [`runtime.${rt}.ecl.legacyinsecure`]: true,
          },
          expect: 'fail',
        },
        {
          facts: { [`runtime.${rt}.installed`]: true, [`runtime.${rt}.ecl.activated`]: false },
          expect: 'not-applicable',
        },
      ],
    },
    {
      id: id(2),
      title: `${name}'s execution control list is valid and only root can change it`,
      severity: 'medium',
      applies: { all: [installed(rt), { fact: `runtime.${rt}.ecl.present`, op: 'eq', value: true }] },
      check: { fact: `runtime.${rt}.ecl.problem`, op: 'absent' },
      affects: [rt],
      rationale: `A list ${name} cannot validate makes it refuse every SIF${rt === 'apptainer' ? ' (and one it cannot even parse is silently ignored)' : ''}; a list a user can write is a list the user can switch off; setuid ${name} refuses to start when root does not own it.`,
      remediation: `Fix what the evidence names (\`ctrsafe image ecl\` writes a valid list); chown root:root and chmod 0644 ${CONF[rt]}.`,
      references: sources(rt),
      recommendedBy: [`${name} admin guide: ecl.toml`],
      examples: [
        {
          facts: { [`runtime.${rt}.installed`]: true, [`runtime.${rt}.ecl.present`]: true },
          expect: 'pass',
        },
        {
          facts: {
            [`runtime.${rt}.installed`]: true,
            [`runtime.${rt}.ecl.present`]: true,
            [`runtime.${rt}.ecl.problem`]:
              'execgroup 1: mode "allow" is not whitelist, whitestrict or blacklist',
          },
          expect: 'fail',
        },
        {
          facts: { [`runtime.${rt}.installed`]: true, [`runtime.${rt}.ecl.present`]: false },
          expect: 'not-applicable',
        },
      ],
    },
    {
      id: id(3),
      title: `${name}'s execution control list is enforceable (setuid, no unprivileged user namespaces)`,
      severity: 'medium',
      applies: { all: [installed(rt), activated(rt)] },
      check: {
        all: [
          { fact: `runtime.${rt}.mode`, op: 'eq', value: 'setuid' },
          { fact: 'feature.unprivileged_userns', op: 'eq', value: 'no' },
        ],
      },
      affects: [rt],
      rationale: `The list is applied only by the setuid starter; where users can create user namespaces they can run any image without it (unprivileged ${name}, or another runtime), so it is advice, not enforcement (ecl.toml.example, "WARNING").`,
      remediation: `Install ${name} setuid and disable unprivileged user namespaces (user.max_user_namespaces = 0), or enforce signatures elsewhere: \`ctrsafe gate --image\` with require_signature: trusted in the prolog, and \`ctrsafe run\`.`,
      references: [...sources(rt), REF.apptainerSecurity],
      recommendedBy: [`${name} ecl.toml.example`],
      examples: [
        {
          facts: {
            [`runtime.${rt}.installed`]: true,
            [`runtime.${rt}.ecl.activated`]: true,
            [`runtime.${rt}.mode`]: 'setuid',
            'feature.unprivileged_userns': 'no',
          },
          expect: 'pass',
        },
        {
          facts: {
            [`runtime.${rt}.installed`]: true,
            [`runtime.${rt}.ecl.activated`]: true,
            [`runtime.${rt}.mode`]: 'unprivileged',
            'feature.unprivileged_userns': 'yes',
          },
          expect: 'fail',
        },
      ],
    },
  ];
}

export const ECL_RULES: Rule[] = [...eclRules('apptainer', 20), ...eclRules('singularity-ce', 24)];
