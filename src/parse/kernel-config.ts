// Reads a kernel .config: CONFIG_X=y|m|value, "# CONFIG_X is not set" becomes "n".

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
