// `ctrsafe db status|update`, declared: the offline advisory database.
import type { CommandSpec, OptionSpec } from '../spec.js';

const DB: OptionSpec = {
  name: 'db',
  value: 'DIR',
  description: 'the advisory database directory',
  default: '/var/lib/ctrsafe as root, else ~/.local/share/ctrsafe',
  env: 'CTRSAFE_DB',
  complete: 'dir',
};

export const DB_COMMAND: CommandSpec = {
  name: 'db',
  summary: 'the offline advisory database',
  description:
    "The advisory database ships inside ctrsafe (reviewed records and the distributions' own fix data); air-gapped sites update it offline, all or nothing.",
  subcommands: [
    {
      name: 'status',
      summary: 'what the advisory database holds, from which sources, and how old it is',
      description:
        'Lists the built-in and imported records, each source with its date and record count, and flags a database older than 90 days.',
      options: [
        DB,
        {
          name: 'format',
          short: 'f',
          value: 'FORMAT',
          choices: ['text', 'json'],
          description: 'text or json',
          default: 'text',
        },
      ],
      load: async () => (await import('../db-command.js')).dbStatusCommand,
    },
    {
      name: 'update',
      summary: 'import advisories offline from an export',
      description:
        "Imports OSV records from a directory of JSON files, a zip of an OSV export (osv.dev's <ecosystem>/all.zip) or one JSON file; every record is validated first and nothing changes if any is malformed.",
      options: [
        DB,
        { name: 'from', value: 'PATH', description: 'the export to import', complete: 'file', config: false },
      ],
      load: async () => (await import('../db-command.js')).dbUpdateCommand,
    },
  ],
};
