// `unixipc/node-ipc`: a drop-in for node-ipc, typed as @types/node-ipc 9.2.x declares it and
// speaking its wire. The default export is the IPC instance; the CommonJS build's module.exports
// is that instance itself (tsup cjsInterop), so `import ipc from`, `require()` and
// `require().default` all give it. Like @types/node-ipc it exports no type names (so the .d.cts
// can say `export =`): write `typeof ipc.server`, `typeof ipc.config`, `(typeof ipc.of)[string]`.
export { default } from './instance.ts';
