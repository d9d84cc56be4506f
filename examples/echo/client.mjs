// Echo client: sends each line, prints what comes back.
// Usage: node client.mjs SOCKET_PATH [LINE...]
import { connect } from 'unixipc';

const [socketPath, ...given] = process.argv.slice(2);
if (!socketPath) {
  console.error('usage: node client.mjs SOCKET_PATH [LINE...]');
  process.exit(2);
}
// An empty line and a long one: both break the naive recv(1024) version.
const lines = given.length > 0 ? given : ['hello', '', '你好，世界', 'x'.repeat(5000)];

const client = await connect(socketPath, { timeout: 2_000 });
let mismatches = 0;
for (const line of lines) {
  const reply = await client.request('echo', line);
  const same = reply === line;
  if (!same) mismatches++;
  const shown = line.length > 40 ? `${line.slice(0, 12)}... (${line.length} chars)` : JSON.stringify(line);
  console.log(`sent ${shown} -> ${same ? 'got it back' : `got ${JSON.stringify(reply)}`}`);
}
await client.close();
console.log(`${lines.length - mismatches}/${lines.length} lines echoed intact`);
process.exit(mismatches === 0 ? 0 : 1);
