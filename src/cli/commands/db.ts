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
        'Lists the reviewed and imported records, each distribution data source with its date, row count and licence, and flags a database older than 90 days.',
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
        "Imports vendor exports offline: a directory of JSON files, a zip (osv.dev's <ecosystem>/all.zip, zip64 included), a tar archive (Canonical's osv-all.tar.xz, Red Hat's CSAF archive) or one JSON file (OSV records, a CSAF document, the Debian security tracker's JSON). Only kernels and container runtimes are kept: records ctrsafe did not review are added as unreviewed and listed, and distribution rows are kept for the CVEs of ctrsafe's reviewed records. Nothing is written when any input is malformed or dated in the future, or when the import would replace a shipped record or change a shipped distribution row without --replace-shipped; the new database replaces the old one in one atomic rename.",
      options: [
        DB,
        { name: 'from', value: 'PATH', description: 'the export to import', complete: 'file', config: false },
        { name: 'dry-run', description: 'say what would change, write nothing', config: false },
        {
          name: 'replace-shipped',
          description: 'allow the import to replace the shipped records and distribution rows it lists',
          config: false,
        },
        { name: 'quiet', short: 'q', description: 'no progress line on standard error' },
      ],
      load: async () => (await import('../db-command.js')).dbUpdateCommand,
    },
  ],
};
