// Sticky packets (粘包): TCP and AF_UNIX stream sockets carry bytes, not messages.
// Part 1 shows the naive raw `net` version gluing three writes into one read and
// splitting one big write into many; part 2 keeps messages apart with frames.
// Usage: node examples/sticky-packets/run.mjs
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { connect, serve } from 'unixipc';
import { encodeFrame, FrameDecoder, Kind } from 'unixipc/protocol';
import { tempDir } from '../shared/processes.mjs';

const dir = tempDir('sticky');
const messages = ['hello', 'world', '!'];
const BIG = 1024 * 1024;

/**
 * A raw stream server and a client connected to it. The server side starts
 * paused, the way a busy server has not called recv() yet: whatever the client
 * writes meanwhile piles up in the kernel as one undivided run of bytes.
 */
async function rawPair(socketPath) {
  const server = net.createServer({ pauseOnConnect: true });
  await new Promise((resolve) => server.listen(socketPath, resolve));
  const accepted = new Promise((resolve) => server.once('connection', resolve));
  const client = net.connect(socketPath);
  await new Promise((resolve) => client.once('connect', resolve));
  const serverSide = await accepted;
  const write = (bytes) => new Promise((resolve) => client.write(bytes, resolve));
  const close = async () => {
    client.destroy();
    serverSide.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return { serverSide, write, close };
}

/** Resumes the paused reader and collects each read ('data' event) until TOTAL bytes have arrived. */
function readAll(socket, total, ms = 5_000) {
  return new Promise((resolve, reject) => {
    const reads = [];
    let got = 0;
    const timer = setTimeout(() => reject(new Error(`only ${got} of ${total} bytes in ${ms} ms`)), ms);
    socket.on('data', (chunk) => {
      reads.push(chunk);
      got += chunk.length;
      if (got < total) return;
      clearTimeout(timer);
      resolve(reads);
    });
    socket.resume();
  });
}

try {
  console.log('--- part 1: the naive version, raw bytes on a stream socket ---');
  {
    const pair = await rawPair(path.join(dir, 'raw.sock'));
    for (const text of messages) await pair.write(text); // three send() calls
    const total = messages.join('').length;
    const reads = await readAll(pair.serverSide, total);
    console.log(`client: ${messages.length} writes: ${messages.map((m) => JSON.stringify(m)).join(', ')}`);
    console.log(
      `server: ${reads.length} read(s): ${reads.map((r) => JSON.stringify(r.toString())).join(', ')}`,
    );
    if (reads.length < messages.length) console.log('        -> glued together: where does one message end?');
    await pair.close();
  }
  {
    const pair = await rawPair(path.join(dir, 'raw-big.sock'));
    const reading = readAll(pair.serverSide, BIG);
    await pair.write(Buffer.alloc(BIG, 'a')); // one send() of 1 MiB
    const reads = await reading;
    console.log(`client: 1 write of ${BIG} bytes`);
    console.log(`server: ${reads.length} reads of at most ${Math.max(...reads.map((r) => r.length))} bytes`);
    console.log('        -> split apart: recv(1024) in the seeds would see only the first piece');
    await pair.close();
  }

  console.log('--- part 2a: length-prefixed frames on the same raw socket ---');
  {
    const pair = await rawPair(path.join(dir, 'framed.sock'));
    // Each frame starts with a fixed-size header that carries the body's length.
    const frames = [...messages, 'a'.repeat(BIG)].map((text) => encodeFrame(Kind.NOTIFY, 0, 0, '', text));
    const total = frames.reduce((sum, frame) => sum + frame.length, 0);
    for (const frame of frames.slice(0, 3)) await pair.write(frame);
    // Read while the big one is written: a paused reader would leave its write waiting forever.
    const reading = readAll(pair.serverSide, total);
    await pair.write(frames[3]);
    const reads = await reading;
    const received = [];
    const decoder = new FrameDecoder((frame) => received.push(frame.body.toString('utf8', frame.metaLength)));
    for (const chunk of reads) decoder.push(chunk);
    console.log(`client: ${frames.length} frames written; server: ${reads.length} reads`);
    const shown = received.map((m) => (m.length > 20 ? `<${m.length} bytes>` : JSON.stringify(m)));
    console.log(`server: the decoder gave back ${received.length} messages: ${shown.join(', ')}`);
    // The decoder does not care where the reads split: one byte at a time gives the same answer.
    let oneByOne = 0;
    const byteDecoder = new FrameDecoder(() => oneByOne++);
    const glued = Buffer.concat(frames.slice(0, 3));
    for (let i = 0; i < glued.length; i++) byteDecoder.push(glued.subarray(i, i + 1));
    console.log(`server: the first 3 frames fed one byte at a time still make ${oneByOne} messages`);
    await pair.close();
  }

  console.log('--- part 2b: unixipc request/response (framing built in) ---');
  {
    const seen = [];
    const server = await serve(path.join(dir, 'ipc.sock'), {
      handlers: {
        upper: (text) => {
          seen.push(text.length > 20 ? `<${text.length} bytes>` : text);
          return text.toUpperCase();
        },
      },
    });
    const client = await connect(server.path);
    // All four sent at once, no waiting in between: still four messages, four answers.
    const sent = [...messages, 'a'.repeat(BIG)];
    const answers = await Promise.all(sent.map((text) => client.request('upper', text)));
    console.log(`server: handler ran ${seen.length} times: ${seen.map((s) => JSON.stringify(s)).join(', ')}`);
    const shown = answers.map((a) => (a.length > 20 ? `<${a.length} bytes>` : JSON.stringify(a)));
    console.log(`client: ${answers.length} answers: ${shown.join(', ')}`);
    await client.close();
    await server.close();
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
