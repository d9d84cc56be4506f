// The daemon: serves a few methods at a socket path until SIGTERM/SIGINT.
// Usage: node daemon.mjs PATH [auto|unix|tcp]
import { serve } from 'unixipc';

const [path, transport = 'auto'] = process.argv.slice(2);
const started = Date.now();

let server;
try {
  server = await serve(path, {
    transport,
    handlers: {
      upper: (text) => String(text).toUpperCase(),
      add: ({ a, b }) => a + b,
      echo: (x) => x,
      status: () => ({ pid: process.pid, transport: server.transport, uptimeMs: Date.now() - started }),
    },
  });
} catch (error) {
  console.log(`ERROR ${error.code}: ${error.message}`);
  process.exit(2);
}
console.log(`READY ${server.endpoint} ${server.transport} pid=${process.pid}`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, async () => {
    await server.close();
    process.exit(0);
  });
}
