// Parses a kernel .config: CONFIG_X=y|m|value, "# CONFIG_X is not set" becomes "n".

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
