// Typed contracts (issue 17.1): the type-level checks run under `tsc` (npm run typecheck, in CI);
// the runtime part (a Standard Schema refusing params) runs under vitest.
import { join } from 'node:path';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { call, connect, type IpcError, isIpcError, serve } from '../../lib/index.ts';
import { cleanup, errorOf, tempDir } from '../helpers.ts';

afterAll(cleanup);

interface KvApi {
  get(key: string): string | undefined;
  set(entry: { key: string; value: string }): boolean;
  keys(): string[];
  watch(prefix?: string): AsyncIterable<{ key: string; value: string }>;
}
interface KvEvents {
  changed: { key: string };
  cleared: undefined;
}

describe('a typed contract', () => {
  it('checks method names, params and results at compile time, on both sides', async () => {
    const store = new Map<string, string>();
    const path = join(tempDir(), 'kv.sock');
    const server = await serve<KvApi, KvEvents>(path, {
      handlers: {
        get: (key) => {
          expectTypeOf(key).toEqualTypeOf<string>();
          return store.get(key);
        },
        set: ({ key, value }) => {
          store.set(key, value);
          server.broadcast('changed', { key });
          return true;
        },
        keys: () => [...store.keys()],
        async *watch(prefix) {
          expectTypeOf(prefix).toEqualTypeOf<string | undefined>();
          yield { key: 'a', value: '1' };
        },
      },
    });
    if (false as boolean) {
      // @ts-expect-error: not a method of the contract
      server.handle('nope', () => 1);
      // @ts-expect-error: a handler of the wrong shape
      server.handle('get', (key: number) => key);
      // @ts-expect-error: the event carries { key }
      server.broadcast('changed', { name: 'a' });
    }
    server.broadcast('cleared');

    const client = await connect<KvApi, KvEvents>(path);
    expectTypeOf(await client.request('set', { key: 'a', value: '1' })).toEqualTypeOf<boolean>();
    const value = await client.request('get', 'a');
    expectTypeOf(value).toEqualTypeOf<string | undefined>();
    expect(value).toBe('1');
    expectTypeOf(client.request('keys')).resolves.toEqualTypeOf<string[]>();
    // A streaming method: request() collects the items, stream() yields them.
    expectTypeOf(client.request('watch', 'a')).resolves.toEqualTypeOf<
      Array<{ key: string; value: string }>
    >();
    for await (const item of client.stream('watch')) {
      expectTypeOf(item).toEqualTypeOf<{ key: string; value: string }>();
      expect(item).toEqual({ key: 'a', value: '1' });
    }
    client.on('changed', (data) => expectTypeOf(data).toEqualTypeOf<{ key: string }>());
    client.on('close', (error) => expectTypeOf(error).toEqualTypeOf<IpcError | undefined>());
    if (false as boolean) {
      // @ts-expect-error: not a method
      await client.request('delete', 'a');
      // @ts-expect-error: wrong params
      await client.request('get', 42);
      // @ts-expect-error: params required
      await client.request('get');
      // @ts-expect-error: a wrong use of the result (string | undefined)
      (await client.request('get', 'a')).toFixed();
      // @ts-expect-error: not an event of the contract
      client.on('renamed', () => {});
    }
    // call<Api>() checks the method against the contract; call<Api, 'method'>() is exact.
    expect(await call<KvApi, 'get'>(path, 'get', 'a')).toBe('1');
    expectTypeOf(call<KvApi, 'keys'>(path, 'keys')).resolves.toEqualTypeOf<string[]>();
    if (false as boolean) {
      // @ts-expect-error: not a method of the contract
      await call<KvApi>(path, 'delete');
    }
    // Without a contract, as before: any method, and request<T>() says what comes back.
    const untyped = await connect(path);
    expectTypeOf(untyped.request<string[]>('keys')).resolves.toEqualTypeOf<string[]>();
    const anything = call<number>(path, 'anything');
    expectTypeOf(anything).resolves.toEqualTypeOf<number>();
    await expect(anything).rejects.toMatchObject({ code: 'ERR_IPC_NO_METHOD' });
    await client.close();
    await untyped.close();
    await server.close();
  });

  it('validates params with a Standard Schema (zod here): ERR_IPC_BAD_PARAMS with the issues, the handler never runs', async () => {
    const path = join(tempDir(), 'schema.sock');
    let ran = 0;
    const server = await serve(path, {
      handlers: {
        add: ({ a, b }: { a: number; b: number }) => {
          ran++;
          return a + b;
        },
      },
      schemas: { add: z.object({ a: z.number(), b: z.coerce.number() }) },
    });
    try {
      const client = await connect(path);
      // The handler gets the schema's output (b coerced from a string).
      expect(await client.request('add', { a: 1, b: '2' })).toBe(3);
      const error = await errorOf(client.request('add', { a: 'one', b: 2 }));
      expect(isIpcError(error) && error.code).toBe('ERR_IPC_BAD_PARAMS');
      expect(error.message).toMatch(/^bad params for "add" at a: /);
      expect((error as IpcError).data).toMatchObject({ issues: [{ path: ['a'] }] });
      expect(ran).toBe(1);
      // Also through handle(..., { params }), and for call().
      server.handle('neg', (n: number) => -n, { params: z.number().int() });
      expect(await call(path, 'neg', 2)).toBe(-2);
      expect((await errorOf(call(path, 'neg', 2.5))) as IpcError).toMatchObject({
        code: 'ERR_IPC_BAD_PARAMS',
      });
      await client.close();
    } finally {
      await server.close();
    }
  });

  it('carries a handler error code, message and data to the caller; refuses params JSON cannot carry', async () => {
    const path = join(tempDir(), 'errors.sock');
    const server = await serve(path, {
      handlers: {
        find: (key: string) => {
          throw Object.assign(new Error(`no key ${key}`), {
            code: 'E_NOT_FOUND',
            data: { key, tried: ['a', 'b'] },
          });
        },
      },
    });
    try {
      const client = await connect(path);
      const error = await errorOf(client.request('find', 'zz'));
      expect(error).toMatchObject({
        code: 'ERR_IPC_REMOTE',
        message: 'no key zz',
        remoteCode: 'E_NOT_FOUND',
        remoteName: 'Error',
        data: { key: 'zz', tried: ['a', 'b'] },
      });
      const cyclic: Record<string, unknown> = {};
      cyclic.me = cyclic;
      for (const bad of [10n, cyclic, () => 1]) {
        const refused = await errorOf(client.request('find', bad));
        expect(isIpcError(refused) && refused.code).toBe('ERR_IPC_BAD_PARAMS');
      }
      expect(() => client.notify('find', 10n)).toThrow(
        expect.objectContaining({ code: 'ERR_IPC_BAD_PARAMS' }),
      );
      await client.close();
    } finally {
      await server.close();
    }
  });
});
