// A consumer of the public API as a CommonJS module (import = require): everything but .on().
// Each @ts-expect-error is a check: if the types degrade to `any`, the directive goes unused and fails.
import unixipc = require('unixipc');
import callEntry = require('unixipc/call');

export async function main(): Promise<unknown[]> {
  const path: string = unixipc.resolveSocketPath('types-demo');
  const options: unixipc.ServeOptions = { handlers: { upper: (s: string) => s.toUpperCase() } };
  const server = await unixipc.serve(path, options);
  server.handle('add', ({ a, b }: { a: number; b: number }) => a + b);
  server.handle('slow', async (_params: unknown, ctx: unixipc.RequestContext) => ctx.signal.aborted);
  const transport: 'unix' | 'tcp' = server.transport;
  const client = await unixipc.connect(path, { timeout: 5_000 });
  const upper: string = await client.request<string>('upper', 'hello');
  const answer: string = await callEntry.call<string>(path, 'upper', 'x', { timeout: 1_000 });
  await client.close();
  await server.close();

  const error: unknown = new unixipc.IpcError(unixipc.ErrorCodes.CLOSED, 'gone');
  if (unixipc.isIpcError(error)) {
    const code: unixipc.IpcErrorCode = error.code;
    void code;
    // @ts-expect-error: a code is a string union, not a number
    const wrong: number = error.code;
    void wrong;
  }
  const fromCall: unixipc.IpcError = new callEntry.IpcError('ERR_IPC_REMOTE', 'remote');
  if (callEntry.isIpcError(error)) void (error.code satisfies unixipc.IpcErrorCode);

  // @ts-expect-error: not an error code
  void new unixipc.IpcError('ERR_NOPE', 'x');
  // @ts-expect-error: transport is 'auto' | 'unix' | 'tcp'
  void unixipc.serve(path, { transport: 'udp' });
  // @ts-expect-error: request options have no retries
  void client.request('upper', 'x', { retries: 3 });
  return [transport, upper, answer, fromCall];
}
