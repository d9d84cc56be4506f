// Probe for bench/oneshot-anatomy.mjs: `node anatomy.cjs raw|by-name|by-path ADDRESS`.
// Times the stages of a one-shot call inside one fresh process: loading node:net, loading the
// library (unixipc/call by package name through the exports map, or its file by path), the
// first call, and a second call on a new connection, whose code is now compiled and warm.
const { writeSync } = require('node:fs');
const { performance } = require('node:perf_hooks');
const [mode, addressJson] = process.argv.slice(2);
const address = JSON.parse(addressJson);
const stage = [performance.now()];
const net = require('node:net');
stage.push(performance.now());

// raw.cjs's client, repeated rather than shared: this script must stay CommonJS to time require(),
// and on Node 20 it could reach bench/lib/raw-wire.mjs only through import(), which would load the
// ES module loader into the very stages it times.
function rawCall() {
  return new Promise((resolve, reject) => {
    const socket = address.path ? net.connect(address.path) : net.connect(address.port, address.host);
    if (!address.path) socket.setNoDelay(true);
    const frame = Buffer.alloc(8 + 64, 0x61);
    frame.writeUInt32BE(64, 0);
    frame.writeUInt32BE(1, 4);
    socket.write(frame);
    let got = 0;
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      got += chunk.length;
      if (got < frame.length) return;
      socket.end();
      resolve();
    });
  });
}

let once = rawCall;
if (mode !== 'raw') {
  const { call } = require(mode === 'by-name' ? 'unixipc/call' : '../../../dist/call.cjs');
  once = () => call(address, 'echo', Buffer.alloc(64, 0x61));
}
stage.push(performance.now());
(async () => {
  await once();
  stage.push(performance.now());
  await once();
  stage.push(performance.now());
  const [netMs, loadMs, firstMs, secondMs] = stage.slice(1).map((t, i) => t - stage[i]);
  writeSync(1, `${JSON.stringify({ netMs, loadMs, firstMs, secondMs })}\n`);
})();
