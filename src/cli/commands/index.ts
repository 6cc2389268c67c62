// Every ctrsafe command, declared once: dispatch, --help, man pages and shell completions are made from this list.
import type { CommandSpec } from '../spec.js';
import { CHECK } from './check.js';
import { DB_COMMAND } from './db.js';
import { FLEET } from './fleet.js';
import { GATE } from './gate.js';
import { IMAGE } from './image.js';
import { RULES_COMMAND } from './rules.js';
import { RUN } from './run.js';
import { SNAPSHOT } from './snapshot.js';

export const COMMANDS: readonly CommandSpec[] = [
  CHECK,
  GATE,
  RUN,
  SNAPSHOT,
  IMAGE,
  DB_COMMAND,
  FLEET,
  RULES_COMMAND,
];

export const TAGLINE = 'ctrsafe: facts, not rumour, about container security on HPC hosts.';

export const FOOTER =
  'Run "ctrsafe help COMMAND" or "ctrsafe COMMAND --help" for a command\'s options. Settings: the command line, then CTRSAFE_* environment variables, then /etc/ctrsafe/ctrsafe.conf (--config FILE or CTRSAFE_CONFIG to name another), then the defaults. Exit codes: 0 ran; 1 --fail-on matched (gate: the node fails); 2 usage error; 3 host root unreadable; 4 invalid input; 70 internal error; run returns the command\'s status, or 125.';
