// The ctrsafe version, read once from package.json next to the build.
import * as fs from 'node:fs';

let cached: string | null = null;

export function toolVersion(): string {
  if (cached !== null) return cached;
  // The single-file bundle has no package.json beside it: scripts/bundle.mjs writes the version in.
  if (process.env.CTRSAFE_BUNDLED_VERSION) return (cached = process.env.CTRSAFE_BUNDLED_VERSION);
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    cached = pkg.version ?? '0.0.0';
  } catch {
    cached = '0.0.0';
  }
  return cached;
}
