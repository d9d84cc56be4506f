import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call, connect, isIpcError, serve } from '../../lib/index.ts';
import { cleanup, errorOf, tempDir } from '../helpers.ts';

afterAll(cleanup);

/** The error an API call fails with, which must be ERR_IPC_BAD_OPTION. */
async function badOption(attempt: () => Promise<unknown>): Promise<string> {
  const error = await errorOf(attempt());
  expect(isIpcError(error) && error.code, error.message).toBe('ERR_IPC_BAD_OPTION');
  return error.message;
}

describe('options are checked where they are given, naming the option, the value and what is allowed', () => {
  const path = () => join(tempDir(), 'x.sock');

  it('serve()', async () => {
    expect(await badOption(() => serve(path(), { transport: 'udp' as 'tcp' }))).toBe(
      "serve(): option transport is \"udp\"; it must be 'auto', 'unix', 'tcp'",
    );
    // maxInFlight: 0 used to be accepted, and every request then waited for ever.
    expect(await badOption(() => serve(path(), { maxInFlight: 0 }))).toContain(
      'option maxInFlight is 0; it must be an integer >= 1',
    );
    expect(await badOption(() => serve(path(), { helloTimeout: Number.NaN }))).toContain(
      'helloTimeout is NaN',
    );
    expect(await badOption(() => serve(path(), { mode: 0o1777 }))).toContain('mode is 1023');
    expect(await badOption(() => serve(path(), { maxFrameBytes: 2 ** 33 }))).toContain('maxFrameBytes');
    expect(await badOption(() => serve(path(), { trustUid: [-1] }))).toContain('trustUid is [-1]');
    expect(await badOption(() => serve(path(), { pathLost: 'ignore' as 'fatal' }))).toContain(
      "'rebind', 'fatal'",
    );
    expect(await badOption(() => serve(path(), 'fast' as unknown as object))).toContain(
      'options must be an object',
    );
  });

  it('connect() and request()', async () => {
    expect(await badOption(() => connect(path(), { timeout: -1 }))).toContain('option timeout is -1');
    expect(await badOption(() => connect(path(), { connectTimeout: 0 }))).toContain('milliseconds > 0');
    expect(
      await badOption(() => connect(path(), { heartbeatInterval: '15s' as unknown as number })),
    ).toContain('heartbeatInterval is "15s"');
    const dir = tempDir();
    const server = await serve(join(dir, 'ok.sock'), { handlers: { hi: () => 'hi' } });
    try {
      const client = await connect(join(dir, 'ok.sock'));
      expect(await badOption(() => client.request('hi', undefined, { timeout: Number.NaN }))).toContain(
        'request(): option timeout is NaN',
      );
      expect(await badOption(() => client.request('hi', undefined, { signal: {} as AbortSignal }))).toContain(
        'an AbortSignal',
      );
      expect(await client.request('hi', undefined, { timeout: Number.POSITIVE_INFINITY })).toBe('hi');
      await client.close();
    } finally {
      await server.close();
    }
  });

  it('call()', async () => {
    expect(await badOption(() => call(path(), 'hi', undefined, { maxBufferedBytes: 0 }))).toContain(
      'call(): option maxBufferedBytes is 0',
    );
    expect(
      await badOption(() => call(path(), 'hi', undefined, { allowSharedDir: 1 as unknown as boolean })),
    ).toContain('true or false');
  });
});
