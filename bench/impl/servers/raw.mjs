// The raw floor: echoes each frame of the raw wire format (bench/lib/raw-wire.mjs) unchanged.
import { createServer } from 'node:net';
import { RawDecoder } from '../../lib/raw-wire.mjs';
import { listenOn } from './listen.mjs';

export function start({ transport, dir, variant }) {
  const { cork = false, nodelay = true } = variant;
  const server = createServer((socket) => {
    if (transport === 'tcp') socket.setNoDelay(nodelay);
    // A frame inside the chunk is a view of it: echoing it copies nothing.
    const decoder = new RawDecoder((frame) => socket.write(frame));
    if (cork) {
      socket.on('data', (chunk) => {
        socket.cork();
        decoder.push(chunk);
        socket.uncork();
      });
    } else {
      socket.on('data', (chunk) => decoder.push(chunk));
    }
    socket.on('error', () => {});
  });
  return listenOn(server, transport, dir, 'raw');
}
