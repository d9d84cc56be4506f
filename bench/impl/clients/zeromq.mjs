// zeromq 6 client: REQ for sequential round trips; DEALER for pipelined and bulk. zeromq.js
// allows one send in progress per socket, so sends queue behind each other; answers come
// back in order on one DEALER/ROUTER pair, so a FIFO matches them.
import { Dealer, Request } from 'zeromq';

export async function open(address, { mode }) {
  if (mode === 'seq') {
    const req = new Request({ linger: 0 });
    req.connect(address.rep);
    const conn = {
      onError: undefined,
      send(payload, cb) {
        req
          .send(payload)
          .then(() => req.receive())
          .then(
            ([reply]) => cb(reply),
            (error) => conn.onError?.(error),
          );
      },
      close() {
        req.close();
      },
    };
    return conn;
  }
  const dealer = new Dealer({ linger: 0 });
  dealer.connect(address.router);
  const callbacks = [];
  const outgoing = [];
  let pumping = false;
  const conn = {
    onError: undefined,
    send(payload, cb) {
      callbacks.push(cb);
      outgoing.push(payload);
      if (!pumping) pump();
    },
    close() {
      dealer.close();
    },
  };
  async function pump() {
    pumping = true;
    try {
      while (outgoing.length > 0) await dealer.send(outgoing.shift());
    } catch (error) {
      conn.onError?.(error);
    }
    pumping = false;
  }
  (async () => {
    for await (const [reply] of dealer) callbacks.shift()(reply);
  })().catch((error) => {
    if (!dealer.closed) conn.onError?.(error);
  });
  return conn;
}
