// Where `ctrsafe run` keeps unpacked images: the caller's own cache, never shared between users.
import * as os from 'node:os';
import * as path from 'node:path';

export function defaultRootfsCache(env: NodeJS.ProcessEnv): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ctrsafe', 'rootfs');
}
