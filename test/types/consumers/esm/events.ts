// .on() on Server and Client, as an ES module consumer writes it. The published .d.ts lost .on() under
// esModuleInterop: true (import * as events from 'events'; declare const EventEmitter: typeof events).
import { connect, type IpcError, type Peer, serve } from 'unixipc';

const server = await serve('/tmp/types-demo.sock');
server.on('connection', (peer) => {
  const id: number = peer.id;
  const ok: boolean = peer.notify('welcome', { id });
  void ok;
});
server.on('disconnect', (peer: Peer, error: IpcError | undefined) => {
  void [peer.id, error?.code];
});
// @ts-expect-error: a 'connection' listener gets a Peer, not a string
server.on('connection', (peer: string) => void peer);

const client = await connect(server.endpoint);
client.on('tick', (data) => void data);
client.once('close', () => {});
const listener = (data: unknown) => void data;
client.on('progress', listener);
client.off('progress', listener);
await client.close();
await server.close();
