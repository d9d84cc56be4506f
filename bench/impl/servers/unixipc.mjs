// unixipc as its docs show it: one echo handler; a Buffer travels as raw bytes.
import { join } from 'node:path';
import { serve } from 'unixipc';

export async function start({ transport, dir }) {
  const endpoint = transport === 'unix' ? join(dir, 'unixipc.sock') : 'tcp://127.0.0.1:0';
  const server = await serve(endpoint, { handlers: { echo: (x) => x } });
  return transport === 'unix' ? endpoint : server.endpoint;
}
