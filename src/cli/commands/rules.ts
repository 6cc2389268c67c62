// `ctrsafe rules`, declared: the rule catalogue.
import type { CommandSpec } from '../spec.js';

export const RULES_COMMAND: CommandSpec = {
  name: 'rules',
  summary: 'list the rule catalogue',
  description:
    'Lists every rule ctrsafe checks, with its id, severity and title; --format markdown writes the reference page docs/rules.md is made from, --format json the whole catalogue.',
  options: [
    {
      name: 'format',
      short: 'f',
      value: 'FORMAT',
      choices: ['text', 'json', 'markdown'],
      description: 'text, json or markdown',
      default: 'text',
    },
    { name: 'markdown', description: 'the same as --format markdown', hidden: true, config: false },
    { name: 'json', description: 'the same as --format json', hidden: true, config: false },
  ],
  load: async () => (await import('../rules-command.js')).rulesCommand,
};
