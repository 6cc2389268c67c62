// Parses a kernel .config: CONFIG_X=y|m|value, "# CONFIG_X is not set" becomes "n".

export function parseKernelConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    let m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) {
      out.set(m[1]!, m[2]!.replace(/^"(.*)"$/, '$1').slice(0, 500));
      continue;
    }
    m = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (m) out.set(m[1]!, 'n');
  }
  return out;
}
