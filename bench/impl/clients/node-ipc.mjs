// node-ipc 10 or 14 client: emit('echo', { i, p }), answers matched by i. Payloads are strings
// (node-ipc sends JSON; a Buffer would travel as an array of numbers).
import { loadNodeIpc } from '../servers/node-ipc.mjs';
import { RING_MASK, RING_SIZE } from './ring.mjs';

let connections = 0;

export async function open(address, { variant }) {
  const IPCModule = await loadNodeIpc(variant.version);
  const ipc = new IPCModule();
  ipc.config.silent = true;
  ipc.config.maxRetries = 0;
  ipc.config.stopRetrying = true;
  const id = `bench${++connections}`;
  const client = await new Promise((resolve, reject) => {
    if (address.path) ipc.connectTo(id, address.path);
    else ipc.connectToNet(id, address.host, address.port);
    const of = ipc.of[id];
    of.on('connect', () => resolve(of));
    of.on('error', reject);
  });
  const waiting = new Array(RING_SIZE).fill(undefined);
  let nextId = 0;
  const conn = {
    onError: undefined,
    send(payload, cb) {
      nextId = (nextId + 1) >>> 0;
      waiting[nextId & RING_MASK] = cb;
      client.emit('echo', { i: nextId, p: payload });
    },
    close() {
      ipc.disconnect(id);
    },
  };
  client.on('echo', (data) => {
    const slot = data.i & RING_MASK;
    const cb = waiting[slot];
    waiting[slot] = undefined;
    cb(data.p);
  });
  client.on('error', (error) => conn.onError?.(error));
  return conn;
}
