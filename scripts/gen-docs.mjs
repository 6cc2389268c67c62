// Writes the man pages and the bash and zsh completions under dist/share/ from the command declarations
// (dist/src/cli/commands/), so help, man pages and completions are one source. The date is SOURCE_DATE_EPOCH's,
// else the last commit's (reproducible builds), else today's.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = new URL('../', import.meta.url).pathname;
const { COMMANDS, TAGLINE, FOOTER } = await import(`${root}dist/src/cli/commands/index.js`);
const { renderManPages } = await import(`${root}dist/src/cli/render-man.js`);
const { renderBashCompletion, renderZshCompletion } = await import(
  `${root}dist/src/cli/render-completion.js`
);
const { version } = JSON.parse(fs.readFileSync(`${root}package.json`, 'utf8'));

function buildDate() {
  if (process.env.SOURCE_DATE_EPOCH)
    return new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000).toISOString().slice(0, 10);
  try {
    return execFileSync('git', ['-C', root, 'log', '-1', '--format=%cs'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
}

const share = path.join(root, 'dist/share');
fs.rmSync(share, { recursive: true, force: true });
const put = (rel, text) => {
  fs.mkdirSync(path.dirname(path.join(share, rel)), { recursive: true });
  fs.writeFileSync(path.join(share, rel), text);
};
for (const page of renderManPages(COMMANDS, TAGLINE, FOOTER, buildDate(), version))
  put(`man/man${page.file.slice(-1)}/${page.file}`, page.text);
put('bash-completion/completions/ctrsafe', renderBashCompletion(COMMANDS));
put('zsh/vendor-completions/_ctrsafe', renderZshCompletion(COMMANDS));
