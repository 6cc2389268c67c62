// Reads a kernel .config: CONFIG_X=y|m|value, "# CONFIG_X is not set" becomes "n".

/** Every symbol of the file: for tests and small configs. */
export function parseKernelConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('CONFIG_')) {
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      let v = line.slice(eq + 1);
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
      out.set(line.slice(0, eq), v.slice(0, 500));
    } else if (line.startsWith('# CONFIG_') && line.endsWith(' is not set')) {
      out.set(line.slice(2, -11), 'n');
    }
  }
  return out;
}

/**
 * Only the symbols asked for, found by substring search: a distribution config has ~10,000 lines and
 * is read on every check. Returns null when the text does not look like a kernel config at all.
 */
export function extractKernelConfig(text: string, keys: readonly string[]): Map<string, string> | null {
  if (!/^(CONFIG_\w+=|# CONFIG_\w+ is not set)/m.test(text)) return null;
  const out = new Map<string, string>();
  for (const key of keys) {
    let at = text.indexOf(`\n${key}=`);
    if (at < 0 && text.startsWith(`${key}=`)) at = -1;
    else if (at < 0) {
      if (text.includes(`# ${key} is not set`)) out.set(key, 'n');
      continue;
    }
    const start = at + 1 + key.length + 1;
    const eol = text.indexOf('\n', start);
    let v = text.slice(start, eol < 0 ? undefined : eol);
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    out.set(key, v.slice(0, 500));
  }
  return out;
}
