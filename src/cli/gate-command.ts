// `ctrsafe gate`: pass or fail this node (or one image) against the site policy, in one line, for Slurm and NHC.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { UsageError } from '../errors.js';
import { evaluateGate, gateLine, type GateInput, type GateVerdict } from '../gate/evaluate-gate.js';
import { DEFAULT_GATE_POLICY, loadGatePolicy, type GatePolicy } from '../gate/gate-policy.js';
import { runCheckChild } from '../gate/run-check-child.js';
import { asciiLine } from '../render/terminal-text.js';
import { toolVersion } from '../tool-version.js';
import type { CliIo } from './io.js';
import { flag, oneOf, parseArgs, positiveInt } from './parse-args.js';

export const GATE_HELP = `Usage: ctrsafe gate [--policy FILE] [--slurm-drain] [options]
       ctrsafe gate --image PATH [--policy FILE] [--image-policy FILE] [--cache DIR] [--keyring FILE|DIR]

Passes or fails this node against the site's container policy and prints one line (NHC style).
Exit 0: pass (or ctrsafe could not judge and the policy says on_error: pass); 1: fail; 2: usage; 4: bad policy.

Options:
  --policy FILE         the gate policy (default /etc/ctrsafe/gate.yaml when it exists, else: fail on critical)
  --slurm-drain         drain this node in Slurm with Reason="ctrsafe: ..." on fail; resume it on pass, only if
                        ctrsafe drained it; a node drained by anyone else is left alone
  --node NAME           the Slurm node name (default $SLURMD_NODENAME, else the node scontrol lists for this
                        host's name or address; never a guess)
  --scontrol PATH       scontrol to run (default: the first root-owned one in /usr/bin, /usr/local/bin,
                        /opt/slurm/bin, /usr/sbin; never from PATH)
  --slurm-timeout SEC   how long to wait for scontrol (default 10); no answer means no change
  --timeout SEC         watchdog for the whole check (default: the policy's timeout_seconds, 30)
  --on-error pass|fail  when ctrsafe cannot judge the node (default: the policy's on_error, pass)
  --image PATH          judge one image (the image policy's failures refuse it) instead of the node
  --image-policy FILE   the image policy (default: the gate policy's image_policy)
  --cache DIR           image verdicts by content digest (default /var/cache/ctrsafe/images as root)
  --keyring FILE|DIR    keys trusted to sign SIFs (repeatable; default: the policy's keyring, else /etc/ctrsafe/keys)
  --root DIR, --as-user NAME, --probe-timeout MS, --advisories DIR, --db DIR   as for ctrsafe check
  --format text|json    one line (default) or the verdict as JSON
  -v, --verbose         also print waivers applied and unknowns tolerated
`;

const DEFAULT_POLICY_FILE = '/etc/ctrsafe/gate.yaml';

interface GateOutcome {
  pass: boolean;
  line: string;
  verdict: GateVerdict | null;
  error: string | null;
  steps: string[];
}

export async function gateCommand(args: string[], io: CliIo): Promise<number> {
  const p = parseArgs(args, [
    { name: 'policy', takesValue: true },
    { name: 'slurm-drain', takesValue: false },
    { name: 'node', takesValue: true },
    { name: 'slurm-timeout', takesValue: true },
    { name: 'scontrol', takesValue: true },
    { name: 'timeout', takesValue: true },
    { name: 'on-error', takesValue: true },
    { name: 'image', takesValue: true },
    { name: 'image-policy', takesValue: true },
    { name: 'cache', takesValue: true },
    { name: 'keyring', takesValue: true, repeatable: true },
    { name: 'root', takesValue: true },
    { name: 'as-user', takesValue: true },
    { name: 'probe-timeout', takesValue: true },
    { name: 'advisories', takesValue: true },
    { name: 'db', takesValue: true },
    { name: 'format', takesValue: true },
    { name: 'verbose', short: 'v', takesValue: false },
    { name: 'help', short: 'h', takesValue: false },
  ]);
  if (p.flags.has('help')) {
    io.stdout.write(GATE_HELP);
    return 0;
  }
  if (p.positionals.length) throw new UsageError(`gate takes no arguments (got "${p.positionals[0]}")`);
  const format = oneOf(flag(p, 'format'), ['text', 'json'] as const, '--format') ?? 'text';
  const policyFile = flag(p, 'policy') ?? (fs.existsSync(DEFAULT_POLICY_FILE) ? DEFAULT_POLICY_FILE : null);
  const policy: GatePolicy = policyFile ? loadGatePolicy(policyFile) : DEFAULT_GATE_POLICY;
  const onError = oneOf(flag(p, 'on-error'), ['pass', 'fail'] as const, '--on-error') ?? policy.onError;
  const timeoutS = positiveInt(flag(p, 'timeout'), '--timeout', 3600) ?? policy.timeoutSeconds;

  const image = flag(p, 'image');
  if (image !== undefined) {
    const { gateImage } = await import('../gate/gate-image.js');
    const imagePolicy = flag(p, 'image-policy') ?? policy.imagePolicy;
    const { DEFAULT_KEYRING, loadKeyring } = await import('../image/sif/keyring.js');
    const keyrings =
      p.flags.get('keyring') ?? policy.keyring ?? (fs.existsSync(DEFAULT_KEYRING) ? [DEFAULT_KEYRING] : []);
    const r = await gateImage(image, {
      policyFile: imagePolicy,
      cacheDir: flag(p, 'cache') ?? null,
      env: io.env,
      timeoutMs: timeoutS * 1000,
      keyring: keyrings.length ? loadKeyring(keyrings) : null,
      requireSignature: { level: policy.requireSignature, source: `gate policy ${policy.source}` },
    });
    if (format === 'json') io.stdout.write(JSON.stringify(r, null, 2) + '\n');
    else io.stdout.write(`${r.line}\n`);
    return r.pass ? 0 : 1;
  }

  const pass = (flagName: string) =>
    flag(p, flagName) !== undefined ? [`--${flagName}`, flag(p, flagName)!] : [];
  const child = await runCheckChild(
    [...pass('root'), ...pass('as-user'), ...pass('probe-timeout'), ...pass('advisories'), ...pass('db')],
    { timeoutMs: timeoutS * 1000, env: io.env },
  );
  let outcome: GateOutcome;
  if (child.ok) {
    const verdict = evaluateGate(child.report as GateInput, policy, new Date());
    outcome = { pass: verdict.pass, line: gateLine(verdict), verdict, error: null, steps: child.steps };
  } else {
    // Our own failure never fails the node unless the site asked for it (on_error: fail).
    const err = asciiLine(child.error, 1000);
    outcome = {
      pass: onError === 'pass',
      line:
        onError === 'pass'
          ? `ctrsafe: could not judge this node (${err}); passing it (on_error: pass)`.slice(0, 300)
          : `ctrsafe: could not judge this node: ${err}`.slice(0, 200),
      verdict: null,
      error: child.error,
      steps: child.steps,
    };
  }

  let slurm: { action: string; message: string } | null = null;
  if (p.flags.has('slurm-drain') && !(outcome.error && onError === 'pass')) {
    const { applySlurmVerdict, slurmNodeName } = await import('../gate/slurm-node.js');
    const timeoutMs = (positiveInt(flag(p, 'slurm-timeout'), '--slurm-timeout', 600) ?? 10) * 1000;
    const sopts = {
      timeoutMs,
      env: io.env,
      ...(flag(p, 'scontrol') ? { scontrol: flag(p, 'scontrol')! } : {}),
    };
    const node = await slurmNodeName(flag(p, 'node'), sopts);
    slurm =
      'name' in node
        ? await applySlurmVerdict(node.name, outcome.pass, outcome.line, sopts)
        : {
            action: 'unreachable',
            message: `cannot tell this host's Slurm node name: ${node.problem}; set --node or SLURMD_NODENAME: nothing drained`,
          };
  }

  if (format === 'json')
    io.stdout.write(
      JSON.stringify(
        {
          schema: 'ctrsafe.gate/1',
          tool: { name: 'ctrsafe', version: toolVersion() },
          policy: policy.source,
          policy_digest: policyFile
            ? createHash('sha256').update(fs.readFileSync(policyFile)).digest('hex')
            : null,
          ...outcome,
          slurm,
        },
        null,
        2,
      ) + '\n',
    );
  else {
    io.stdout.write(`${outcome.line}\n`);
    if (p.flags.has('verbose')) {
      for (const f of outcome.verdict?.failures.slice(2) ?? [])
        io.stdout.write(`  also: ${asciiLine(f, 300)}\n`);
      for (const n of outcome.verdict?.notes ?? []) io.stdout.write(`  note: ${asciiLine(n, 300)}\n`);
    }
    if (slurm) io.stderr.write(`ctrsafe: ${asciiLine(slurm.message, 300)}\n`);
  }
  return outcome.pass ? 0 : 1;
}
