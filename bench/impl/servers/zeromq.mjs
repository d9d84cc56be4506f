// zeromq 6: a REP socket for sequential round trips, a ROUTER for pipelined and bulk.
import { join } from 'node:path';
import { Reply, Router } from 'zeromq';

export async function start({ transport, dir }) {
  const rep = new Reply({ linger: 0 });
  const router = new Router({ linger: 0 });
  if (transport === 'unix') {
    await rep.bind(`ipc://${join(dir, 'zmq-rep.sock')}`);
    await router.bind(`ipc://${join(dir, 'zmq-router.sock')}`);
  } else {
    await rep.bind('tcp://127.0.0.1:*');
    await router.bind('tcp://127.0.0.1:*');
  }
  (async () => {
    for await (const [message] of rep) await rep.send(message);
  })();
  (async () => {
    for await (const frames of router) await router.send(frames);
  })();
  return { rep: rep.lastEndpoint, router: router.lastEndpoint };
}
