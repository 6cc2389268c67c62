// --gpu: the host's NVIDIA device nodes and driver libraries, found through the ldconfig cache, bound read-only,
// as Apptainer's --nv and enroot's nvidia hook do (the driver's user-space must match the host's kernel module).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { trustedProgram, untrustedPathProblem } from '../host/safe-write.js';
import type { BindSpec } from './run-spec.js';

/**
 * The driver's user-space libraries by soname stem, from NVIDIA's driver README ("Installed Components") as of
 * the 5xx drivers: CUDA, NVML, PTX JIT, OpenCL, the NVIDIA GL/EGL stack and video codecs.
 */
export const NVIDIA_LIBRARIES = [
  'libcuda.so',
  'libcudadebugger.so',
  'libnvidia-ml.so',
  'libnvidia-ptxjitcompiler.so',
  'libnvidia-nvvm.so',
  'libnvidia-opencl.so',
  'libnvidia-compiler.so',
  'libnvidia-fatbinaryloader.so',
  'libnvidia-allocator.so',
  'libnvidia-cfg.so',
  'libnvidia-gpucomp.so',
  'libnvidia-eglcore.so',
  'libnvidia-glcore.so',
  'libnvidia-glsi.so',
  'libnvidia-glvkspirv.so',
  'libnvidia-tls.so',
  'libnvidia-encode.so',
  'libnvidia-opticalflow.so',
  'libnvcuvid.so',
  'libEGL_nvidia.so',
  'libGLESv2_nvidia.so',
  'libGLX_nvidia.so',
];
const NVIDIA_BINARIES = [
  'nvidia-smi',
  'nvidia-debugdump',
  'nvidia-persistenced',
  'nvidia-cuda-mps-control',
  'nvidia-cuda-mps-server',
];
/** Inside the container: libraries here (LD_LIBRARY_PATH), tools in .../bin (on PATH). */
export const GPU_DIR = '/.ctrsafe/nvidia';

export interface GpuBinds {
  binds: BindSpec[];
  files: { src: string; dst: string }[];
  devices: { src: string; dst: string }[];
  libDir: string | null;
  found: string[];
}

/** `ldconfig -p` lines: "\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1". */
export function parseLdconfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)\s*$/.exec(line);
    // 64-bit x86 or arm64 entries only: a 32-bit library cannot serve a 64-bit program.
    if (m && (/x86-64|AArch64/.test(m[2]!) || !/libc6/.test(m[2]!)) && !out.has(m[1]!)) out.set(m[1]!, m[3]!);
  }
  return out;
}

const LDCONFIG = ['/sbin/ldconfig', '/usr/sbin/ldconfig'];
/** Where the NVIDIA driver installs its tools (the .run installer and the distribution packages). */
const TOOL_DIRS = ['/usr/bin', '/usr/local/bin', '/usr/sbin', '/bin'];

/**
 * PRIVILEGED (root acting): the ldconfig run, the tools bound and the device directory come from fixed places
 * only root can have written, and every file bound must be root's alone: the caller's PATH or environment must
 * not choose what root binds (a fake ldconfig once bound /etc/shadow as libcuda.so.1). Unprivileged, the test
 * overrides CTRSAFE_LDCONFIG and CTRSAFE_GPU_DEV_DIR and PATH apply: the caller binds only what they can open.
 */
export function findGpu(env: NodeJS.ProcessEnv, privileged: boolean): GpuBinds {
  const ldconfig =
    (privileged ? null : env.CTRSAFE_LDCONFIG) ??
    (privileged ? trustedProgram(LDCONFIG) : LDCONFIG.find((p) => fs.existsSync(p))) ??
    null;
  const r = ldconfig ? spawnSync(ldconfig, ['-p'], { encoding: 'utf8', timeout: 10_000 }) : null;
  const libs = parseLdconfig(r?.stdout ?? '');
  const bindable = (p: string) =>
    fs.existsSync(p) && fs.statSync(p).isFile() && (!privileged || untrustedPathProblem(p) === null);
  const files: { src: string; dst: string }[] = [];
  for (const [soname, p] of libs)
    if (NVIDIA_LIBRARIES.some((stem) => soname.startsWith(stem)) && bindable(p))
      files.push({ src: fs.realpathSync(p), dst: `${GPU_DIR}/lib/${soname}` });
  const pathDirs = privileged ? TOOL_DIRS : (env.PATH ?? '/usr/bin:/bin').split(':');
  for (const b of NVIDIA_BINARIES) {
    const hit = pathDirs.map((d) => path.join(d, b)).find((p) => bindable(p));
    if (hit) files.push({ src: fs.realpathSync(hit), dst: `${GPU_DIR}/bin/${b}` });
  }
  const devDir = (privileged ? null : env.CTRSAFE_GPU_DEV_DIR) ?? '/dev';
  const devices: { src: string; dst: string }[] = [];
  try {
    for (const n of fs.readdirSync(devDir))
      if (/^nvidia(\d+|ctl|-uvm|-uvm-tools|-modeset)$/.test(n))
        devices.push({ src: path.join(devDir, n), dst: `/dev/${n}` });
    if (fs.existsSync(path.join(devDir, 'nvidia-caps')))
      devices.push({ src: path.join(devDir, 'nvidia-caps'), dst: '/dev/nvidia-caps' });
  } catch {
    // no device directory
  }
  return {
    binds: [],
    files,
    devices: devices.sort((a, b) => (a.dst < b.dst ? -1 : 1)),
    libDir: files.some((f) => f.dst.includes('/lib/')) ? `${GPU_DIR}/lib` : null,
    found: files.map((f) => path.basename(f.dst)),
  };
}
