// The two mixed (docs/beyond-one-machine.md): a gateway on a socket path, for the local CLIs,
// forwarding to a service on NATS. Cancellation, errors, bytes and streams cross both hops.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Handler, isIpcError, serve } from '../../lib/index.ts';
import { connect as natsConnect } from '../../lib/nats/index.ts';
import { cleanup, codeOf, errorOf, killAll, spawnLines, tempDir } from '../helpers.ts';
import { type NatsServerProcess, skipNats, startNatsServer, stopNatsServers } from '../nats-server.ts';

describe.skipIf(skipNats)('a socket-path gateway in front of a NATS service', () => {
  let nats: NatsServerProcess;

  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterEach(killAll);
  afterAll(async () => {
    await cleanup();
    await stopNatsServers();
  });

  it('forwards requests, errors, bytes, streams and cancellation', async () => {
    const at = `${nats.url}/behind`;
    const service = spawnLines('nats-service.mjs', [at]);
    expect(await service.waitFor(/^(READY|ERROR) /)).toMatch(/^READY /);
    const upstream = await natsConnect(at, { timeout: 5_000 });
    // Each forwarded method passes the caller's signal on: a local cancel cancels upstream too.
    const forward =
      (method: string): Handler =>
      (params, ctx) =>
        upstream.request(method, params, { signal: ctx.signal });
    const gateway = await serve(join(tempDir(), 'gateway.sock'), {
      handlers: {
        upper: forward('upper'),
        echo: forward('echo'),
        boom: forward('boom'),
        waitForAbort: forward('waitForAbort'),
        lastAborted: forward('lastAborted'),
        async *count(n: number, ctx) {
          yield* upstream.stream<number>('count', n, { signal: ctx.signal });
        },
      },
    });
    const local = await connect(gateway.path!, { timeout: 5_000 });
    try {
      expect(local.transport).toBe('unix');
      expect(await local.request('upper', 'via the gateway')).toBe('VIA THE GATEWAY');
      const bytes = Buffer.from([0, 1, 2, 255]);
      expect(await local.request('echo', bytes)).toEqual(bytes);
      // The service's error reaches the local caller as ERR_IPC_REMOTE with the same message.
      const error = await errorOf(local.request('boom', 'upstream broke'));
      expect(isIpcError(error) && error.code).toBe('ERR_IPC_REMOTE');
      expect(error.message).toBe('upstream broke');
      const items: number[] = [];
      for await (const item of local.stream<number>('count', 300)) items.push(item);
      expect(items).toEqual(Array.from({ length: 300 }, (_, i) => i));
      // A local timeout aborts the gateway's handler, whose signal cancels the NATS request.
      expect(await codeOf(local.request('waitForAbort', null, { timeout: 150 }))).toBe('ERR_IPC_TIMEOUT');
      await expect.poll(() => local.request('lastAborted'), { timeout: 5_000 }).toBe('ERR_IPC_ABORTED');
    } finally {
      await local.close();
      await gateway.close();
      await upstream.close();
    }
  });
});
