// Client events with types: 'close' carries the error that ended the connection (or undefined), any other
// name is a server event with its data. Lands with the sealed public types (issue 20, point 4).
import { connect, type IpcError } from 'unixipc';

const client = await connect('/tmp/types-demo.sock');
client.on('close', (error) => {
  const why: IpcError | undefined = error;
  void why;
});
client.on('tick', (data) => void data);
// @ts-expect-error: 'close' gives IpcError | undefined, not a string
client.on('close', (error: string) => void error);
await client.close();
