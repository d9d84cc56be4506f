// `unixipc/node-ipc`: a drop-in for node-ipc, typed as @types/node-ipc 9.2.x declares it and
// speaking its wire. The default export is an IPC instance carrying the class as `.IPC` and
// itself as `.default`; the CommonJS build's module.exports is that instance (tsup cjsInterop),
// so `import ipc from`, `require()` and `require().default` all give the same object. Like
// @types/node-ipc it exports no names of types (the .d.cts can then say `export =`): name them
// as `typeof ipc.server`, `typeof ipc.config`, `(typeof ipc.of)[string]`.
import { IPC } from './ipc.ts';
import type { RootIPC } from './types.ts';

const ipc = new IPC() as IPC & { IPC: typeof IPC; default: unknown };
Object.defineProperty(ipc, 'IPC', { value: IPC, enumerable: false, writable: true, configurable: true });
Object.defineProperty(ipc, 'default', { value: ipc, enumerable: false, writable: true, configurable: true });

export default ipc as RootIPC;
