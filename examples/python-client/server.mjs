// A tiny unixipc server for trying the Python client against.
//   node examples/python-client/server.mjs /tmp/demo/app.sock [auto|unix|tcp]
// Build the package first (npm run build): 'unixipc' resolves to this repository's dist/.
import { IpcError, serve } from 'unixipc';

const [path = '/tmp/unixipc-demo/app.sock', transport = 'auto'] = process.argv.slice(2);

const server = await serve(path, {
  transport,
  handlers: {
    upper: (s) => String(s).toUpperCase(),
    add: ({ a, b }) => a + b,
    // Bytes in, bytes out: travels raw in the frame (no JSON, no base64).
    reverse: (bytes) => Buffer.from(bytes).reverse(),
    fail: (message) => {
      throw new Error(String(message));
    },
    refuse: () => {
      throw new IpcError('ERR_IPC_REMOTE', 'refused on purpose', { data: { reason: 'demo' } });
    },
    // Sends an event to the caller only, then answers.
    poke: (name, ctx) => {
      ctx.peer.notify(String(name), { at: Date.now() });
      return 'poked';
    },
    // A streamed result: the Python client returns it as a list.
    async *count(n) {
      for (let i = 0; i < n; i++) yield i;
    },
  },
});

console.log(`listening at ${path} (${server.endpoint}, transport ${server.transport})`);
const stop = () => server.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
