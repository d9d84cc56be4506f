// .on() on Server and Client, as a CommonJS consumer (import = require) writes it.
import unixipc = require('unixipc');

export async function main(): Promise<void> {
  const server = await unixipc.serve('/tmp/types-demo.sock');
  server.on('connection', (peer) => {
    const id: number = peer.id;
    peer.notify('welcome', { id });
  });
  server.on('disconnect', (peer: unixipc.Peer, error: unixipc.IpcError | undefined) => {
    void [peer.id, error?.code];
  });
  // @ts-expect-error: a 'connection' listener gets a Peer, not a string
  server.on('connection', (peer: string) => void peer);
  const client = await unixipc.connect(server.endpoint);
  client.on('tick', (data) => void data);
  client.once('close', () => {});
  await client.close();
  await server.close();
}
