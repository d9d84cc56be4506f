// Client events with types, as a CommonJS consumer writes them (see esm/client-events.ts).
import unixipc = require('unixipc');

export async function main(): Promise<void> {
  const client = await unixipc.connect('/tmp/types-demo.sock');
  client.on('close', (error) => {
    const why: unixipc.IpcError | undefined = error;
    void why;
  });
  client.on('tick', (data) => void data);
  // @ts-expect-error: 'close' gives IpcError | undefined, not a string
  client.on('close', (error: string) => void error);
  await client.close();
}
