// Terminal styling: colour only on a TTY, never when NO_COLOR is set (no-color.org).

export interface Style {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (code: string) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;
const plain = (s: string) => s;

export function makeStyle(colour: boolean): Style {
  if (!colour) return { red: plain, yellow: plain, green: plain, dim: plain, bold: plain };
  return { red: wrap('31'), yellow: wrap('33'), green: wrap('32'), dim: wrap('2'), bold: wrap('1') };
}

export function wantColour(
  env: NodeJS.ProcessEnv,
  isTty: boolean,
  flag: 'auto' | 'always' | 'never',
): boolean {
  if (flag !== 'auto') return flag === 'always';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return isTty && env.TERM !== 'dumb';
}
