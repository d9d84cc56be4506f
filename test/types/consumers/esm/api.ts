// A consumer of the public API as an ES module: everything but .on(), which events.ts covers.
// Each @ts-expect-error is a check: if the types degrade to `any`, the directive goes unused and fails.
import {
  type ConnectOptions,
  connect,
  ErrorCodes,
  IpcError,
  type IpcErrorCode,
  isIpcError,
  type RequestContext,
  resolveSocketPath,
  type ServeOptions,
  serve,
} from 'unixipc';
import { IpcError as CallIpcError, call, isIpcError as callIsIpcError } from 'unixipc/call';

const path: string = resolveSocketPath('types-demo');
const options: ServeOptions = {
  transport: 'auto',
  handlers: { upper: (s: string) => s.toUpperCase() },
};
const server = await serve(path, options);
server.handle('add', ({ a, b }: { a: number; b: number }) => a + b);
server.handle('slow', async (_params: unknown, ctx: RequestContext) => {
  const aborted: boolean = ctx.signal.aborted;
  ctx.peer.notify('progress', { aborted });
  return 'done';
});
const endpoint: string = server.endpoint;
const transport: 'unix' | 'tcp' = server.transport;
const sent: number = server.broadcast('tick', { n: 1 });

const connectOptions: ConnectOptions = { timeout: 5_000, connectTimeout: 1_000 };
const client = await connect(path, connectOptions);
const upper: string = await client.request<string>('upper', 'hello');
const sum = await client.request<number>(
  'add',
  { a: 1, b: 2 },
  { timeout: 100, signal: AbortSignal.timeout(50) },
);
for await (const item of client.stream<number>('count', 3)) {
  const n: number = item;
  void n;
}
const queued: boolean = client.notify('note', { text: 'hi' });
await client.close();
await server.close();

const answer: string = await call<string>(path, 'upper', 'x', { timeout: 1_000, connectTimeout: 500 });

const error: unknown = new IpcError(ErrorCodes.TIMEOUT, 'too slow');
if (isIpcError(error)) {
  const code: IpcErrorCode = error.code;
  const message: string = error.message;
  void [code, message];
  // @ts-expect-error: a code is a string union, not a number
  const wrong: number = error.code;
  void wrong;
}
// An IpcError from the call entry is the same type as the main entry's.
const fromCall: IpcError = new CallIpcError('ERR_IPC_REMOTE', 'remote');
if (callIsIpcError(error)) void (error.code satisfies IpcErrorCode);

// @ts-expect-error: not an error code
void new IpcError('ERR_NOPE', 'x');
// @ts-expect-error: transport is 'auto' | 'unix' | 'tcp'
void serve(path, { transport: 'udp' });
// @ts-expect-error: request options have no retries
void client.request('upper', 'x', { retries: 3 });
// @ts-expect-error: an endpoint is a string or an object, not a number
void connect(42);

export const used = [endpoint, transport, sent, upper, sum, queued, answer, fromCall];
