import { IPC } from './ipc.ts';
import type { RootIPC } from './types.ts';

/**
 * The module's value, as node-ipc's: an IPC instance that carries the class as `.IPC` and
 * itself as `.default` (not enumerable: its own keys stay config, of and server).
 */
const ipc = new IPC() as IPC & { IPC: typeof IPC; default: unknown };
Object.defineProperty(ipc, 'IPC', { value: IPC, enumerable: false, writable: true, configurable: true });
Object.defineProperty(ipc, 'default', { value: ipc, enumerable: false, writable: true, configurable: true });

export default ipc as RootIPC;
