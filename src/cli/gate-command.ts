// `ctrsafe gate`: pass or fail this node (or one image) against the site policy, in one line, for Slurm and NHC.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { gateOutcome, tellsSlurm } from '../gate/gate-outcome.js';
import { DEFAULT_GATE_POLICY, loadGatePolicy, type GatePolicy } from '../gate/gate-policy.js';
import { asciiLine } from '../render/terminal-text.js';
import { toolVersion } from '../tool-version.js';
import { gateCheck } from './gate-check.js';
import type { CommandContext } from './spec.js';

const DEFAULT_POLICY_FILE = '/etc/ctrsafe/gate.yaml';

export async function gateCommand({ io, opts }: CommandContext): Promise<number> {
  const format = opts.choice<'text' | 'json'>('format') ?? 'text';
  const policyFile = opts.get('policy') ?? (fs.existsSync(DEFAULT_POLICY_FILE) ? DEFAULT_POLICY_FILE : null);
  const policy: GatePolicy = policyFile ? loadGatePolicy(policyFile) : DEFAULT_GATE_POLICY;
  const onError = opts.choice<'pass' | 'fail'>('on-error') ?? policy.onError;
  const timeoutS = opts.int('timeout', 3600) ?? policy.timeoutSeconds;

  const image = opts.get('image');
  if (image !== undefined) {
    const { gateImage } = await import('../gate/gate-image.js');
    const imagePolicy = opts.get('image-policy') ?? policy.imagePolicy;
    const { DEFAULT_KEYRING, loadKeyring } = await import('../image/sif/keyring.js');
    const keyrings = opts.all('keyring').length
      ? opts.all('keyring')
      : (policy.keyring ?? (fs.existsSync(DEFAULT_KEYRING) ? [DEFAULT_KEYRING] : []));
    const r = await gateImage(image, {
      policyFile: imagePolicy,
      cacheDir: opts.get('cache') ?? null,
      env: io.env,
      timeoutMs: timeoutS * 1000,
      keyring: keyrings.length ? loadKeyring(keyrings) : null,
      requireSignature: { level: policy.requireSignature, source: `gate policy ${policy.source}` },
    });
    if (format === 'json') io.stdout.write(JSON.stringify(r, null, 2) + '\n');
    else io.stdout.write(`${r.line}\n`);
    return r.pass ? 0 : 1;
  }

  const probeTimeoutMs = opts.int('probe-timeout', 60000);
  const { child, how } = await gateCheck(
    {
      ...(opts.get('root') !== undefined ? { root: opts.get('root')! } : {}),
      ...(opts.get('as-user') !== undefined ? { asUser: opts.get('as-user')! } : {}),
      ...(opts.get('advisories') !== undefined ? { advisoriesDir: opts.get('advisories')! } : {}),
      ...(opts.get('db') !== undefined ? { dbDir: opts.get('db')! } : {}),
      ...(probeTimeoutMs !== undefined ? { probeTimeoutMs } : {}),
      timeoutMs: timeoutS * 1000,
      watchdog: opts.has('watchdog'),
    },
    io,
  );
  const outcome = gateOutcome(child, policy, onError, new Date());

  let slurm: { action: string; message: string } | null = null;
  if (opts.has('slurm-drain') && tellsSlurm(outcome, onError)) {
    const { applySlurmVerdict, slurmNodeName } = await import('../gate/slurm-node.js');
    const sopts = {
      timeoutMs: (opts.int('slurm-timeout', 600) ?? 10) * 1000,
      env: io.env,
      ...(opts.get('scontrol') ? { scontrol: opts.get('scontrol')! } : {}),
    };
    const node = await slurmNodeName(opts.get('node'), sopts);
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
          check: how,
          ...outcome,
          slurm,
        },
        null,
        2,
      ) + '\n',
    );
  else {
    io.stdout.write(`${outcome.line}\n`);
    if (opts.has('verbose')) {
      for (const f of outcome.verdict?.failures.slice(2) ?? [])
        io.stdout.write(`  also: ${asciiLine(f, 300)}\n`);
      for (const n of outcome.verdict?.notes ?? []) io.stdout.write(`  note: ${asciiLine(n, 300)}\n`);
      io.stdout.write(
        `  note: the check ran ${how.mode === 'in-process' ? 'in this process' : `in a child under the watchdog (${asciiLine(how.why ?? '', 200)})`}\n`,
      );
    }
    if (slurm) io.stderr.write(`ctrsafe: ${asciiLine(slurm.message, 300)}\n`);
  }
  return outcome.pass ? 0 : 1;
}
