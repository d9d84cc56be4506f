// Raw floor client: the raw wire format by hand, callbacks matched by request id.
import { connect } from 'node:net';
import { RawDecoder, rawFrame, rawHeader } from '../../lib/raw-wire.mjs';
import { RING_MASK, RING_SIZE } from './ring.mjs';

/** Payloads this large go out as their own write instead of being copied into the frame. */
const SEPARATE_WRITE = 16 * 1024;

export function open(address, { variant }) {
  const { cork = false, nodelay = true } = variant;
  return new Promise((resolve, reject) => {
    const socket = address.path ? connect(address.path) : connect(address.port, address.host);
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      if (!address.path) socket.setNoDelay(nodelay);
      const waiting = new Array(RING_SIZE).fill(undefined);
      let nextId = 0;
      let corked = false;
      const uncork = () => {
        corked = false;
        socket.uncork();
      };
      const decoder = new RawDecoder((frame) => {
        const slot = frame.readUInt32BE(4) & RING_MASK;
        const cb = waiting[slot];
        waiting[slot] = undefined;
        cb(frame.subarray(8));
      });
      const conn = {
        onError: undefined,
        send(payload, cb) {
          nextId = (nextId + 1) >>> 0;
          waiting[nextId & RING_MASK] = cb;
          if (cork && !corked) {
            corked = true;
            socket.cork();
            process.nextTick(uncork);
          }
          if (payload.length >= SEPARATE_WRITE) {
            socket.write(rawHeader(nextId, payload.length));
            socket.write(payload);
          } else {
            socket.write(rawFrame(nextId, payload));
          }
        },
        close() {
          socket.destroy();
        },
      };
      socket.on('data', (chunk) => decoder.push(chunk));
      socket.on('error', (error) => conn.onError?.(error));
      resolve(conn);
    });
  });
}
