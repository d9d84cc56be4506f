// The CLI side: one request, print the answer, exit. Usage: node cli.mjs PATH METHOD [JSON]
// call() makes one request on a connection of its own (the hello and the request in one write);
// unixipc/call loads only that, so the CLI starts as fast as it can.
import { call } from 'unixipc/call';

const [path, method, params] = process.argv.slice(2);
try {
  const result = await call(path, method, params === undefined ? undefined : JSON.parse(params), {
    connectTimeout: 2_000,
    timeout: 5_000,
  });
  console.log(JSON.stringify(result));
} catch (error) {
  console.log(`ERROR ${error.code}: ${error.message}`);
  process.exitCode = 1;
}
