// The interactive client of the lesson: a ">> " prompt; each line goes to the server and its
// time-stamped answer is printed; an empty line, "exit" or end of input (Ctrl-D) quits.
// Usage: node client.mjs SOCKET_PATH   (type at the prompt, or pipe lines in)
import readline from 'node:readline';
import { connect } from 'unixipc';

const socketPath = process.argv[2];
if (!socketPath) {
  console.error('usage: node client.mjs SOCKET_PATH');
  process.exit(2);
}

const client = await connect(socketPath, { timeout: 5_000 });
// On a terminal readline echoes what is typed; with piped input it only reads lines.
const input = readline.createInterface({ input: process.stdin, terminal: Boolean(process.stdin.isTTY) });
process.stdout.write('>> ');
// One line at a time: the next prompt comes after the answer, however fast lines arrive.
for await (const line of input) {
  const text = line.trim();
  if (text === '' || text === 'exit') break;
  try {
    console.log(await client.request('stamp', text));
  } catch (error) {
    console.log(`error: ${error.code}: ${error.message}`);
    if (error.code === 'ERR_IPC_CLOSED') break;
  }
  process.stdout.write('>> ');
}
input.close();
await client.close();
console.log('bye');
