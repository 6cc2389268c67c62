// GPU and RDMA facts: CDI specs as nvidia-ctk writes them, hostile specs, limits files, and real device nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { collectAcceleratorFacts } from '../../src/collect/collect-accelerators.js';
import type { Facts } from '../../src/facts/fact.js';
import { HostRoot } from '../../src/host/host-root.js';
import { parseCdiSpec } from '../../src/parse/cdi-spec.js';
import {
  memlockByDomain,
  parseLimitsConfMemlock,
  parseProcLimitsMemlock,
  parseSlurmConfKeys,
} from '../../src/parse/resource-limits.js';
import { NVIDIA_CDI_YAML } from '../helpers/gpu-fixtures.js';
import { writeTree } from '../helpers/tree.js';

test('a CDI spec as nvidia-ctk generates it: devices, hooks and binds', () => {
  const r = parseCdiSpec(NVIDIA_CDI_YAML, 'nvidia.yaml');
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.spec.devices, [
    'nvidia.com/gpu=0',
    'nvidia.com/gpu=GPU-4cf8db2d-06c0-7d70-1a51-e59b25b2c16c',
    'nvidia.com/gpu=all',
  ]);
  assert.deepEqual(r.spec.hooks, ['/usr/bin/nvidia-cdi-hook']);
  assert.deepEqual(r.spec.mounts, ['/usr/bin/nvidia-smi', '/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15']);
  assert.ok(r.spec.deviceNodes.includes('/dev/nvidia0') && r.spec.deviceNodes.includes('/dev/nvidiactl'));
  // The same spec as JSON (nvidia-ctk --format=json) says the same.
  const json = parseCdiSpec(
    JSON.stringify(
      r.ok
        ? {
            cdiVersion: '0.5.0',
            kind: 'nvidia.com/gpu',
            devices: [{ name: 'all', containerEdits: { deviceNodes: [{ path: '/dev/nvidia0' }] } }],
          }
        : {},
    ),
    'nvidia.json',
  );
  assert.ok(json.ok && json.spec.devices[0] === 'nvidia.com/gpu=all');
});

test('hostile CDI specs are refused with a reason, never a throw', () => {
  const deepYaml = '['.repeat(5000) + ']'.repeat(5000);
  const deepJson = '{"a":'.repeat(100000) + '1' + '}'.repeat(100000);
  // Billion laughs: each alias doubles the paths through the document without growing the text.
  let laughs = 'a0: &a0 [x, x]\n';
  for (let i = 1; i < 40; i++) laughs += `a${i}: &a${i} [*a${i - 1}, *a${i - 1}]\n`;
  const cases: [string, string, RegExp][] = [
    [deepYaml, 'deep.yaml', /nested|not valid YAML/],
    [deepJson, 'deep.json', /nested|not valid JSON/],
    [laughs, 'laughs.yaml', /more than \d+ values|nested/],
    ['cdiVersion: 0.5.0\nkind: 5\ndevices: []\n', 'types.yaml', /kind/],
    ['cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices: "all"\n', 'types2.yaml', /devices/],
    ['cdiVersion: [1]\nkind: nvidia.com/gpu\ndevices: [{name: all}]\n', 'ver.yaml', /cdiVersion/],
    [
      'cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices: [{name: all, containerEdits: {hooks: [{path: 7}]}}]\n',
      'hook.yaml',
      /hooks/,
    ],
    [
      'cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices: [{name: all, containerEdits: {mounts: {hostPath: /}}}]\n',
      'mounts.yaml',
      /mounts is not a list/,
    ],
    ['!!js/function "function () {}"', 'tag.yaml', /not valid YAML/],
    ['\u0000\u0001garbage', 'bin.json', /not valid JSON/],
  ];
  for (const [text, name, re] of cases) {
    const r = parseCdiSpec(text, name);
    assert.equal(r.ok, false, name);
    assert.match((r as { reason: string }).reason, re, name);
  }
});

test('hostile CDI files in a tree become facts the report can show, and the valid ones still count', () => {
  const tree = writeTree({
    'dev/null': '',
    'etc/cdi/nvidia.yaml': NVIDIA_CDI_YAML,
    'etc/cdi/deep.json': '['.repeat(200000) + ']'.repeat(200000),
    'var/run/cdi/huge.yaml': 'x'.repeat(2 * 1024 * 1024),
    'var/run/cdi/types.json': JSON.stringify({
      cdiVersion: '0.6.0',
      kind: 'vendor.com/x',
      devices: [{ name: 1 }],
    }),
  });
  const facts: Facts = new Map();
  collectAcceleratorFacts(HostRoot.open(tree), facts);
  assert.deepEqual(facts.get('cdi.specs')?.value, ['/etc/cdi/nvidia.yaml']);
  const invalid = facts.get('cdi.invalid')?.value as string[];
  assert.equal(invalid.length, 3, invalid.join('\n'));
  assert.ok(invalid.some((x) => /deep\.json: (nested|not valid)/.test(x)));
  assert.ok(invalid.some((x) => /huge\.yaml: larger than/.test(x)));
  assert.ok(invalid.some((x) => /types\.json: devices\[0\]: name/.test(x)));
});

test('limits files: /proc/self/limits, limits.conf memlock lines, slurm.conf keys', () => {
  const proc = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max locked memory         8388608              8388608              bytes
Max address space         unlimited            unlimited            bytes
`;
  assert.deepEqual(parseProcLimitsMemlock(proc), { soft: 8388608, hard: 8388608 });
  assert.deepEqual(
    parseProcLimitsMemlock(proc.replace('8388608              8388608', 'unlimited unlimited')),
    {
      soft: 'unlimited',
      hard: 'unlimited',
    },
  );
  assert.equal(parseProcLimitsMemlock('garbage'), null);
  const conf = `# /etc/security/limits.conf
#<domain>      <type>  <item>         <value>
*               soft    core            0
*               soft    memlock         64   # KiB
@rdma           -       memlock         unlimited
*               hard    memlock         unlimited
bogus line
`;
  const l = parseLimitsConfMemlock(conf);
  assert.deepEqual(
    l.map((x) => [x.domain, x.type, x.value]),
    [
      ['*', 'soft', 65536],
      ['@rdma', '-', 'unlimited'],
      ['*', 'hard', 'unlimited'],
    ],
  );
  const slurm = parseSlurmConfKeys(
    'ClusterName=c\n#PropagateResourceLimits=NONE\npropagateresourcelimitsexcept=MEMLOCK,STACK\n',
    ['PropagateResourceLimits', 'PropagateResourceLimitsExcept'],
  );
  assert.deepEqual([...slurm], [['PropagateResourceLimitsExcept', 'MEMLOCK,STACK']]);
});

test("pam_limits' precedence per domain: a user's and a group's entries beat \"*\" in any order, the later of one kind wins, soft is lowered to hard", () => {
  const at = (text: string, file: string) =>
    parseLimitsConfMemlock(text).map((l) => ({ ...l, at: `${file}:${l.line}` }));
  // pam_limits lowercases type, item and value; "-" is unlimited; "%" domains are for maxlogins only.
  const conf = at(
    `@hpc   SOFT  MEMLOCK  Unlimited
*      soft  memlock  64
*      hard  memlock  1024
%      -     memlock  1
alice  soft  memlock  32
@hpc   hard  memlock  -
@big   soft  memlock  unlimited
1000:  -     memlock  2048
`,
    'limits.conf',
  );
  assert.ok(!conf.some((l) => l.domain === '%'), 'the "%" line is not a memlock limit');
  const later = at('*  soft  memlock  unlimited\nalice - memlock 65536\n', 'limits.d/90-rdma.conf');
  const by = Object.fromEntries(memlockByDomain([...conf, ...later]).map((d) => [d.domain, d]));
  // "*": soft 64 KiB then unlimited from limits.d (same kind: the later wins), lowered to its hard 1 MiB.
  assert.equal(by['*']!.effective, 1024 * 1024);
  assert.equal(by['*']!.softAt, 'limits.d/90-rdma.conf:1');
  // @hpc's lines come before "*" and still win (a less specific kind never replaces a more specific one).
  assert.equal(by['@hpc']!.effective, 'unlimited');
  assert.equal(by['@hpc']!.kind, 'group');
  // @big sets only soft: its hard comes from "*", so it gets 1 MiB, not unlimited.
  assert.equal(by['@big']!.effective, 1024 * 1024);
  // alice: 32 KiB, then 64 MiB for both from limits.d; "*"'s hard no longer applies to her.
  assert.equal(by.alice!.effective, 64 * 1024 * 1024);
  assert.equal(by.alice!.kind, 'user');
  // A uid range is a user entry (pam_limits.c: LIMITS_DEF_USER).
  assert.equal(by['1000:']!.kind, 'user');
  assert.equal(by['1000:']!.effective, 2 * 1024 * 1024);
});

test('the loaded driver from /proc/driver/nvidia/version (proprietary and open modules)', () => {
  for (const [line, want] of [
    ['NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024', '550.54.15'],
    [
      'NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.86.15  Release Build  (dvs-builder@U16-I3-B03-4-3)  Thu Jan 23 22:50:36 UTC 2025',
      '570.86.15',
    ],
  ] as const) {
    const tree = writeTree({
      'proc/driver/nvidia/version': `${line}\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n`,
      'sys/module/nvidia/version': `${want}\n`,
    });
    const facts: Facts = new Map();
    collectAcceleratorFacts(HostRoot.open(tree), facts);
    assert.equal(facts.get('gpu.nvidia.driver_version')?.value, want);
    assert.equal(facts.get('gpu.nvidia.module_version')?.value, want);
    // No /dev in the tree: nothing is said about devices (unknown), rather than "none".
    assert.equal(facts.get('gpu.nvidia.devices'), undefined);
  }
});

const isRoot = process.getuid?.() === 0;

test(
  'real device nodes made with mknod: type, major:minor, owner and mode',
  { skip: isRoot ? false : 'mknod needs root (the CI suite runs as root)' },
  () => {
    const tree = writeTree({ 'etc/hostname': 'gpu01\n' });
    const mk = (rel: string, major: number, minor: number, mode: string, owner = '0:0') => {
      fs.mkdirSync(path.dirname(path.join(tree, rel)), { recursive: true });
      execFileSync('mknod', ['-m', mode, path.join(tree, rel), 'c', String(major), String(minor)]);
      fs.chownSync(path.join(tree, rel), Number(owner.split(':')[0]), Number(owner.split(':')[1]));
    };
    mk('dev/nvidia0', 195, 0, '0666');
    mk('dev/nvidiactl', 195, 255, '0666');
    mk('dev/nvidia-uvm', 509, 0, '0600');
    mk('dev/nvidia-caps/nvidia-cap1', 511, 1, '0400');
    mk('dev/infiniband/uverbs0', 231, 192, '0666');
    mk('dev/infiniband/rdma_cm', 10, 58, '0666');
    mk('dev/dri/renderD128', 226, 128, '0660', '0:109');
    // A large minor exercises the high bits of dev_t (kdev_t.h new_encode_dev).
    mk('dev/nvidia3', 195, 300000, '0666');
    const facts: Facts = new Map();
    collectAcceleratorFacts(HostRoot.open(tree), facts);
    assert.deepEqual(facts.get('gpu.nvidia.devices')?.value, [
      '/dev/nvidia-uvm',
      '/dev/nvidia0',
      '/dev/nvidia3',
      '/dev/nvidiactl',
      '/dev/nvidia-caps/nvidia-cap1',
    ]);
    assert.equal(facts.get('device./dev/nvidia0.type')?.value, 'char');
    assert.equal(facts.get('device./dev/nvidiactl.rdev')?.value, '195:255');
    assert.equal(facts.get('device./dev/nvidia3.rdev')?.value, '195:300000');
    assert.equal(facts.get('device./dev/nvidia-uvm.mode')?.value, '0600');
    assert.equal(facts.get('device./dev/dri/renderD128.gid')?.value, 109);
    assert.deepEqual(facts.get('rdma.devices')?.value, [
      '/dev/infiniband/rdma_cm',
      '/dev/infiniband/uverbs0',
    ]);
    assert.deepEqual(facts.get('gpu.render.devices')?.value, ['/dev/dri/renderD128']);
  },
);

const hasDevices =
  fs.existsSync('/dev/nvidiactl') || fs.existsSync('/dev/kfd') || fs.existsSync('/dev/infiniband');

test(
  "this machine (no GPU, no RDMA): the live collector finds no device and reads ctrsafe's own memlock",
  { skip: hasDevices ? 'this machine has GPU or RDMA devices' : false },
  () => {
    const facts: Facts = new Map();
    collectAcceleratorFacts(HostRoot.live(), facts);
    assert.deepEqual(facts.get('gpu.nvidia.devices')?.value, []);
    assert.deepEqual(facts.get('rdma.devices')?.value, []);
    const soft = facts.get('memlock.process_soft')?.value;
    assert.ok(soft === 'unlimited' || typeof soft === 'number', String(soft));
  },
);
