/** Connects, emits one echo, waits for it, disconnects. */
export function nodeIpcOnce(IPCModule, address) {
  const ipc = new IPCModule();
  ipc.config.silent = true;
  ipc.config.maxRetries = 0;
  ipc.config.stopRetrying = true;
  return new Promise((resolve, reject) => {
    if (address.path) ipc.connectTo('once', address.path);
    else ipc.connectToNet('once', address.host, address.port);
    const client = ipc.of.once;
    client.on('error', reject);
    client.on('connect', () => client.emit('echo', { i: 1, p: 'x'.repeat(64) }));
    client.on('echo', () => {
      ipc.disconnect('once');
      resolve();
    });
  });
}
