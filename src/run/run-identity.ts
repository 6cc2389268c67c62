// Who `ctrsafe run` acts for (pure): it needs no privilege, so as root it refuses to act for another user (sudo),
// unless an administrator allowed it in a file only root can write; and root never takes its programs or test
// overrides from the caller's environment.

/** An administrator's permission for root to run containers for other users (a file root owns and alone writes). */
export const ALLOW_ROOT_FILE = '/etc/ctrsafe/run-as-root-allowed';

export interface RunIdentity {
  /** The user the launch is for: SUDO_UID under sudo, else the real uid. */
  callerUid: number;
  callerGid: number;
  /** Root acting: environment overrides (CTRSAFE_LDCONFIG, CTRSAFE_GPU_DEV_DIR) and PATH are not honoured. */
  privileged: boolean;
}

export function runIdentity(
  ids: { euid: number; uid: number; gid: number },
  env: NodeJS.ProcessEnv,
): RunIdentity {
  const sudoUid = env.SUDO_UID !== undefined && /^\d+$/.test(env.SUDO_UID) ? Number(env.SUDO_UID) : null;
  const sudoGid = env.SUDO_GID !== undefined && /^\d+$/.test(env.SUDO_GID) ? Number(env.SUDO_GID) : null;
  const privileged = ids.euid === 0;
  return {
    callerUid: privileged && sudoUid !== null ? sudoUid : ids.uid,
    callerGid: privileged && sudoGid !== null ? sudoGid : ids.gid,
    privileged,
  };
}

/**
 * Why root must not launch for this caller, or null. Root for root is fine; root for another user (sudo, a
 * setuid wrapper) only where the administrator allowed it, and then only with binds the caller could open.
 */
export function rootForOtherProblem(
  who: RunIdentity,
  allowedByAdmin: boolean,
  binds: { src: string; readOnly: boolean }[],
  access: (p: string, uid: number, gid: number, write: boolean) => boolean,
): string | null {
  if (!who.privileged || who.callerUid === 0) return null;
  if (!allowedByAdmin)
    return (
      `ctrsafe run is running as root for uid ${who.callerUid} (sudo or a setuid wrapper): it needs no privilege, ` +
      `so run it as that user; an administrator can allow root launches for users with ${ALLOW_ROOT_FILE}`
    );
  for (const b of binds)
    if (!access(b.src, who.callerUid, who.callerGid, !b.readOnly))
      return `--bind ${b.src}: uid ${who.callerUid} could not ${b.readOnly ? 'read' : 'write'} it: not bound for them`;
  return null;
}

/** Whether UID (in group GID) may read or write P by its mode bits alone (owner, group, other). */
export function modeAllows(
  st: { uid: number; gid: number; mode: number },
  uid: number,
  gid: number,
  write: boolean,
): boolean {
  const bit = write ? 0o2 : 0o4;
  if (st.uid === uid) return (st.mode & (bit << 6)) !== 0;
  if (st.gid === gid) return (st.mode & (bit << 3)) !== 0;
  return (st.mode & bit) !== 0;
}
