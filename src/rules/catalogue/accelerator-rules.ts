// GPU and RDMA rules (issue 19): what a node with InfiniBand or RoCE verbs devices needs for MPI in containers.
import type { Rule } from '../rule.js';
import { REF } from './references.js';

/** 64 MiB: ctrsafe's floor for "MPI over verbs will fail" (src/evaluate/assess-accelerators.ts MEMLOCK_FLOOR). */
const FLOOR = 64 * 1024 * 1024;

/** A memlock limit fact that is unlimited, at least the floor, or not known to be lower (absent). */
const enough = (fact: string) => ({
  any: [
    { fact, op: 'eq' as const, value: 'unlimited' },
    { fact, op: 'gte' as const, value: FLOOR },
    { fact, op: 'absent' as const },
  ],
});

export const ACCELERATOR_RULES: Rule[] = [
  {
    id: 'CS-A001',
    title: 'The locked-memory limit lets MPI over verbs register its buffers',
    severity: 'medium',
    applies: { fact: 'rdma.devices', op: 'not_empty' },
    check: {
      all: [
        enough('memlock.pam_soft'),
        enough('memlock.process_soft'),
        {
          any: [
            { fact: 'memlock.pam_soft', op: 'exists' },
            { fact: 'memlock.process_soft', op: 'exists' },
          ],
        },
      ],
    },
    affects: ['all'],
    rationale:
      "Verbs (InfiniBand, RoCE) pin the memory they send from and receive into, and the kernel counts pinned pages against RLIMIT_MEMLOCK. A container inherits the job's limit and cannot raise it, so with the old 64 KiB default (or the 8 MiB of Linux >= 5.16) MPI fails to register its buffers or falls back to a slow path: every MPI container on the node is affected, whatever the runtime.",
    remediation:
      'Raise the limit for users: "* soft memlock unlimited" and "* hard memlock unlimited" in /etc/security/limits.d/ (pam_limits), LimitMEMLOCK=infinity for slurmd, and PropagateResourceLimitsExcept=MEMLOCK (or a PropagateResourceLimits without MEMLOCK) in slurm.conf so the login shell\'s lower limit does not follow the job.',
    references: [REF.openMpiOpenFabrics, REF.rhelMemlock],
    recommendedBy: ['Open MPI FAQ (OpenFabrics)', 'Red Hat Enterprise Linux Networking Guide (RDMA)'],
    examples: [
      {
        facts: { 'rdma.devices': ['/dev/infiniband/uverbs0'], 'memlock.pam_soft': 'unlimited' },
        expect: 'pass',
      },
      {
        facts: {
          'rdma.devices': ['/dev/infiniband/uverbs0'],
          'memlock.pam_soft': 'unlimited',
          'memlock.process_soft': 128 * 1024 * 1024,
        },
        expect: 'pass',
      },
      {
        facts: { 'rdma.devices': ['/dev/infiniband/uverbs0'], 'memlock.pam_soft': 65536 },
        expect: 'fail',
      },
      {
        facts: {
          'rdma.devices': ['/dev/infiniband/uverbs0'],
          'memlock.pam_soft': 'unlimited',
          'memlock.process_soft': 8 * 1024 * 1024,
        },
        expect: 'fail',
      },
      { facts: { 'rdma.devices': [] }, expect: 'not-applicable' },
    ],
  },
];
