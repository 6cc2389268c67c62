// Times `ctrsafe check` against `node -e 0` and Debian's spectre-meltdown-checker in one interleaved run; prints medians and ratios.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runInterleaved, type Cmd } from './interleaved.js';

const runs = Number(process.env.BENCH_RUNS ?? 15);
const bin = path.join(path.dirname(new URL(import.meta.url).pathname), '../bundle/ctrsafe-launch.cjs'); // the package's bin, as users run it
const cmds: Cmd[] = [
  { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
  { name: 'ctrsafe check', argv: [process.execPath, bin, 'check', '--format', 'json'] },
];
// Sites behind a TLS-inspecting proxy set NODE_EXTRA_CA_CERTS for npm; Node then reads the bundle of certificates
// at every start. Both sides pay it, so the ratio must hold with it too.
const ca = ['/etc/ssl/certs/ca-certificates.crt'].find((f) => fs.existsSync(f));
if (ca) {
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: ca };
  cmds.push(
    { name: 'node -e 0 (NODE_EXTRA_CA_CERTS)', argv: [process.execPath, '-e', '0'], env },
    {
      name: 'ctrsafe check (NODE_EXTRA_CA_CERTS)',
      argv: [process.execPath, bin, 'check', '--format', 'json'],
      env,
    },
  );
}
const smc = ['/usr/bin/spectre-meltdown-checker', '/usr/sbin/spectre-meltdown-checker'].find((p) =>
  fs.existsSync(p),
);
// Its exit status says what it found: 0 not vulnerable, 2 vulnerable, 3 unknown (--help); each is a finished run.
if (smc)
  cmds.push({
    name: 'spectre-meltdown-checker --batch json',
    argv: [smc, '--batch', 'json'],
    okStatus: [0, 2, 3],
  });
else console.log('spectre-meltdown-checker is not installed: apt-get install spectre-meltdown-checker');

const medians = runInterleaved(cmds, runs);
const base = medians.get('node -e 0')!;
const ct = medians.get('ctrsafe check')!;
console.log(`ctrsafe check / node -e 0 = ${(ct / base).toFixed(2)} (target < 2.00)`);
if (ca)
  console.log(
    `with NODE_EXTRA_CA_CERTS: ctrsafe check / node -e 0 = ${(medians.get('ctrsafe check (NODE_EXTRA_CA_CERTS)')! / medians.get('node -e 0 (NODE_EXTRA_CA_CERTS)')!).toFixed(2)} (target < 2.00)`,
  );
if (smc)
  console.log(
    `ctrsafe check / spectre-meltdown-checker = ${(ct / medians.get('spectre-meltdown-checker --batch json')!).toFixed(2)}`,
  );
