// One-shot call over raw net, as a CommonJS script: the floor for a hand-written CLI.
const { writeSync } = require('node:fs');
const t0 = performance.now();
const { connect } = require('node:net');
const t1 = performance.now();
const address = JSON.parse(process.argv[2]);
const socket = address.path ? connect(address.path) : connect(address.port, address.host);
if (!address.path) socket.setNoDelay(true);
const frame = Buffer.alloc(8 + 64, 0x61);
frame.writeUInt32BE(64, 0);
frame.writeUInt32BE(1, 4);
socket.write(frame);
let got = 0;
socket.on('data', (chunk) => {
  got += chunk.length;
  if (got < frame.length) return;
  socket.end();
  const t2 = performance.now();
  writeSync(1, `${JSON.stringify({ importMs: t1 - t0, callMs: t2 - t1, sinceStartMs: t2 })}\n`);
});
