// Both ends of what `unixipc bench` compares, over one transport: unixipc's echo
// (serve + connect + request, its own framing and protocol) and the raw floor (a length-prefixed
// echo written straight on node:net, raw-wire.ts). The raw floor is the one place in lib/ outside
// the transport layer that uses node:net: measuring what net costs without us is its point.
import { connect } from '../../client/client.ts';
import { serve } from '../../server/server.ts';
import type { BenchConnection } from './loops.ts';
import { RawDecoder, rawFrame, rawHeader } from './raw-wire.ts';
import type { Impl, Transport } from './types.ts';

const net = process.getBuiltinModule('node:net');
const { join } = process.getBuiltinModule('node:path');

export type RawAddress = { path: string } | { host: string; port: number };

/** Payloads this large go out as their own write instead of being copied into the frame. */
const SEPARATE_WRITE = 16 * 1024;
/** Ids in flight at once, at most (a power of two): the worker caps concurrency below it. */
export const RING_SIZE = 65_536;

/** The servers of one transport, in the worker's process: where each listens. */
export async function startServers(
  transport: Transport,
  dir: string,
): Promise<{ unixipc: string; raw: RawAddress; close(): Promise<void> }> {
  const server = await serve(transport === 'unix' ? join(dir, 'unixipc.sock') : 'tcp://127.0.0.1:0', {
    handlers: { echo: (x: unknown) => x },
    name: 'unixipc-bench',
  });
  const raw = net.createServer((socket) => {
    if (transport === 'tcp') socket.setNoDelay(true);
    // A frame inside the chunk is a view of it: echoing it copies nothing. The answers to one
    // read leave in one write (cork), which costs a lone request nothing.
    const decoder = new RawDecoder((frame) => socket.write(frame));
    socket.on('data', (chunk: Buffer) => {
      socket.cork();
      decoder.push(chunk);
      socket.uncork();
    });
    socket.on('error', () => {});
  });
  const rawAddress = await new Promise<RawAddress>((resolve, reject) => {
    raw.once('error', reject);
    const options = transport === 'unix' ? { path: join(dir, 'raw.sock') } : { host: '127.0.0.1', port: 0 };
    raw.listen({ ...options, backlog: 64 }, () => {
      raw.removeListener('error', reject);
      resolve(
        'path' in options ? options : { host: '127.0.0.1', port: (raw.address() as { port: number }).port },
      );
    });
  });
  return {
    unixipc: transport === 'unix' ? join(dir, 'unixipc.sock') : server.endpoint,
    raw: rawAddress,
    close: async () => {
      await Promise.all([server.close({ timeout: 500 }), new Promise((resolve) => raw.close(resolve))]);
    },
  };
}

/** A client connection of IMPL to ADDRESS. */
export function openClient(impl: Impl, address: string | RawAddress): Promise<BenchConnection> {
  return impl === 'unixipc' ? openUnixipc(address as string) : openRaw(address as RawAddress);
}

async function openUnixipc(endpoint: string): Promise<BenchConnection> {
  const client = await connect(endpoint);
  // One error handler for every request: a closure per request would be the harness's cost.
  const fail = (error: Error) => conn.onError?.(error);
  const conn: BenchConnection = {
    onError: undefined,
    send(payload, onReply) {
      client.request('echo', payload).then(onReply, fail);
    },
    inFlight() {},
    close: () => client.close(),
  };
  return conn;
}

function openRaw(address: RawAddress): Promise<BenchConnection> {
  return new Promise((resolve, reject) => {
    const socket = 'path' in address ? net.connect(address.path) : net.connect(address.port, address.host);
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      if (!('path' in address)) socket.setNoDelay(true);
      const waiting = new Array<((reply: Buffer) => void) | undefined>(RING_SIZE);
      let nextId = 0;
      let batch = false;
      let corked = false;
      const uncork = () => {
        corked = false;
        socket.uncork();
      };
      const decoder = new RawDecoder((frame) => {
        const slot = frame.readUInt32BE(4) & (RING_SIZE - 1);
        const onReply = waiting[slot];
        waiting[slot] = undefined;
        onReply?.(frame.subarray(8));
      });
      const conn: BenchConnection = {
        onError: undefined,
        send(payload, onReply) {
          nextId = (nextId + 1) >>> 0;
          waiting[nextId & (RING_SIZE - 1)] = onReply;
          if (batch && !corked) {
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
        inFlight(many) {
          batch = many;
        },
        close() {
          socket.destroy();
        },
      };
      socket.on('data', (chunk: Buffer) => decoder.push(chunk));
      socket.on('error', (error) => conn.onError?.(error));
      socket.on('close', () => conn.onError?.(new Error('the raw echo server closed the connection')));
      resolve(conn);
    });
  });
}
