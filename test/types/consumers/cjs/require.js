// @ts-check
// Plain CommonJS JavaScript, checked by tsc (checkJs): require() must bring the types along.
const { connect, isIpcError, serve } = require('unixipc');
const { call } = require('unixipc/call');

async function main() {
  const server = await serve('/tmp/types-demo.sock', {
    handlers: { upper: (/** @type {string} */ s) => s.toUpperCase() },
  });
  /** @type {'unix' | 'tcp'} */
  const transport = server.transport;
  const client = await connect(server.endpoint);
  /** @type {string} */
  const upper = await client.request('upper', 'x');
  /** @type {unknown} */
  const error = await call(server.endpoint, 'nope').catch((/** @type {unknown} */ e) => e);
  if (isIpcError(error)) {
    // @ts-expect-error: a code is a string union, not a number
    /** @type {number} */ const wrong = error.code;
    void wrong;
  }
  // @ts-expect-error: transport is 'auto' | 'unix' | 'tcp'
  await serve('/tmp/other.sock', { transport: 'udp' });
  await client.close();
  await server.close();
  return [transport, upper];
}
module.exports = { main };
