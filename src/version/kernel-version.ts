// Kernel releases as mainline versions: the number a self-built kernel is judged on (distribution kernels: kernel-package.ts).

/** "6.1.76" or "6.18.44-fc-v857" -> "6.1.76" / "6.18.44": the mainline part only. */
export function mainlineVersion(release: string): string | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  return m ? `${m[1]}.${m[2]}.${m[3] ?? 0}` : null;
}
