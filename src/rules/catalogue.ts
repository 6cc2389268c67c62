// The rule catalogue: every rule ctrsafe knows, in a stable order.
import { ACCELERATOR_RULES } from './catalogue/accelerator-rules.js';
import { NVIDIA_TOOLKIT_RULES } from './catalogue/nvidia-toolkit-rules.js';
import { ECL_RULES } from './catalogue/ecl-rules.js';
import { HOST_RULES } from './catalogue/host-rules.js';
import { KERNEL_RULES } from './catalogue/kernel-rules.js';
import { RUNTIME_CONFIG_RULES } from './catalogue/runtime-config-rules.js';
import { RUNTIME_RULES } from './catalogue/runtime-rules.js';
import type { Rule } from './rule.js';

export const RULES: readonly Rule[] = [
  ...KERNEL_RULES,
  ...HOST_RULES,
  ...RUNTIME_RULES,
  ...RUNTIME_CONFIG_RULES,
  ...ECL_RULES,
  ...ACCELERATOR_RULES,
  ...NVIDIA_TOOLKIT_RULES,
];

export function findRule(id: string): Rule | undefined {
  const want = id.toUpperCase();
  return RULES.find((r) => r.id === want);
}
