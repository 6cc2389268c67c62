// The CPU time this process spent since a mark: a bound on work done (a bomb must stop early, a fuzz campaign gets
// a budget), unmoved by other processes on a busy machine, which wall time is not.
export function cpuMark(): NodeJS.CpuUsage {
  return process.cpuUsage();
}

export function cpuMsSince(mark: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(mark);
  return (d.user + d.system) / 1000;
}
