// The hello/hi server of the lesson, with unixipc, marking each API call for the trace.
// Usage: node server.mjs ENDPOINT   (a socket path or tcp://127.0.0.1:0; stops on SIGTERM)
import { serve } from 'unixipc';
import { mark } from './mark.mjs';

const endpoint = process.argv[2];
mark('server', `serve(${JSON.stringify(endpoint)})`);
const server = await serve(endpoint, {
  transport: endpoint.startsWith('tcp://') ? 'tcp' : 'unix',
  handlers: {
    say(text) {
      mark('server', `handler say(${JSON.stringify(text)}) runs, answers "hi"`);
      return text === 'hello' ? 'hi' : `you said "${text}"`;
    },
  },
  watchInterval: 0, // no periodic stat of the socket file in the trace
  heartbeatInterval: 0,
});
mark('server', `listening on ${server.endpoint}; waiting for clients`);
console.log(`listening on ${server.endpoint}`);
process.once('SIGTERM', async () => {
  mark('server', 'server.close()');
  await server.close();
  mark('server', 'closed');
  process.exit(0);
});
