/** The machine a bench ran on, as its report's header says it. */
import os from 'node:os';

export interface MachineFacts {
  cpu: string;
  logical_cpus: number;
  node: string;
  os: string;
}

export function describeMachine(): MachineFacts {
  const cpus = os.cpus();
  return {
    cpu: cpus.length ? cpus[0].model : 'unknown',
    logical_cpus: cpus.length,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** "machine: CPU x N logical CPUs; OS; node vX". */
export const machineLine = (m: MachineFacts): string =>
  `machine: ${m.cpu} x ${m.logical_cpus} logical CPUs; ${m.os}; node ${m.node}`;
