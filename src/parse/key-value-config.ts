// Parses the "key = value" configuration files of Singularity/Apptainer, Shifter and enroot.

export interface ConfigParse {
  values: Map<string, string[]>;
  badLines: number;
}

/**
 * singularity.conf/apptainer.conf use "key = value" (repeatable keys such as "bind path");
 * udiRoot.conf uses "key=value"; enroot.conf uses "KEY value" or "KEY=value". Comments start with #.
 */
export function parseKeyValueConfig(text: string, style: 'equals' | 'enroot', maxLines = 5000): ConfigParse {
  const values = new Map<string, string[]>();
  let badLines = 0;
  let n = 0;
  for (const raw of text.split('\n')) {
    if (++n > maxLines) break;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    let m: RegExpExecArray | null;
    if (style === 'equals') m = /^([A-Za-z][A-Za-z0-9 _.-]*?)\s*=\s*(.*)$/.exec(line);
    else m = /^([A-Z][A-Z0-9_]*)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) {
      badLines++;
      continue;
    }
    const key = m[1]!.toLowerCase().replace(/\s+/g, ' ');
    let v = m[2]!.replace(/\s+#.*$/, '').trim();
    if (
      (v.startsWith('"') && v.endsWith('"') && v.length >= 2) ||
      (v.startsWith("'") && v.endsWith("'") && v.length >= 2)
    )
      v = v.slice(1, -1);
    const list = values.get(key) ?? [];
    if (list.length < 100) list.push(v.slice(0, 1000));
    values.set(key, list);
  }
  return { values, badLines };
}
