// node-ipc 10 (@achrinza/node-ipc) or 14 (node-ipc14): answers `echo` to the sender.
import { join } from 'node:path';
import { freePort } from '../../lib/free-port.mjs';

export async function loadNodeIpc(version) {
  const mod = version === 14 ? await import('node-ipc14') : await import('@achrinza/node-ipc');
  return mod.IPCModule;
}

export async function start({ transport, dir, variant }) {
  const IPCModule = await loadNodeIpc(variant.version);
  const ipc = new IPCModule();
  ipc.config.silent = true;
  ipc.config.maxConnections = 5000;
  ipc.config.socketRoot = `${dir}/`;
  const address =
    transport === 'unix'
      ? { path: join(dir, `node-ipc${variant.version}.sock`) }
      : { host: '127.0.0.1', port: await freePort() };
  await new Promise((resolve) => {
    const onStart = () => {
      ipc.server.on('echo', (data, socket) => ipc.server.emit(socket, 'echo', data));
      resolve();
    };
    if (transport === 'unix') ipc.serve(address.path, onStart);
    else ipc.serveNet(address.host, address.port, onStart);
    ipc.server.start();
  });
  return address;
}
