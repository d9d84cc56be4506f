// The framing hot path alone (no sockets): `node bench/framing.mjs [--ms=300] [--json]`.
// Guards FrameDecoder and encodeFrame against regressions: frames per second for small
// frames fed whole and in 64 KiB reads that split frames, and MiB/s for 1 MiB frames.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Encoding, encodeFrame, FrameDecoder, Kind } from 'unixipc/protocol';
import { median } from './lib/stats.mjs';

const { values } = parseArgs({
  options: { ms: { type: 'string', default: '300' }, json: { type: 'boolean', default: false } },
});
const MS = Number(values.ms);
const TRIALS = 5;
const MiB = 1024 * 1024;

/** Runs `step` (which returns how many units it did) for MS after a warm-up; units per second. */
function rate(step) {
  const warmEnd = performance.now() + MS / 3;
  while (performance.now() < warmEnd) step();
  const trials = [];
  for (let t = 0; t < TRIALS; t++) {
    let units = 0;
    const t0 = performance.now();
    const end = t0 + MS / TRIALS;
    let now = t0;
    // bounded: at most 1e7 steps per trial
    for (let i = 0; i < 1e7 && now < end; i++) {
      units += step();
      now = performance.now();
    }
    trials.push(units / ((now - t0) / 1000));
  }
  return median(trials);
}

function stream(count, payloadSize) {
  const payload = Buffer.alloc(payloadSize, 0x61);
  const frames = [];
  for (let id = 1; id <= count; id++)
    frames.push(encodeFrame(Kind.REQUEST, Encoding.BYTES, id, 'echo', payload));
  return Buffer.concat(frames);
}

function chunks(buffer, size) {
  const out = [];
  for (let off = 0; off < buffer.length; off += size) out.push(buffer.subarray(off, off + size));
  return out;
}

let seen = 0;
const sink = (frame) => {
  seen += frame.body.length;
};

// 1,000 request frames with a 64-byte payload (80-byte bodies), as pipelined requests arrive.
const SMALL = 1_000;
const small = stream(SMALL, 64);
const smallChunks = chunks(small, 64 * 1024 - 7); // an odd size, so headers split too
const big = stream(4, MiB);
const bigChunks = chunks(big, 64 * 1024);
const payload64 = Buffer.alloc(64, 0x61);
let id = 0;

const results = {
  decodeWholeFps: rate(() => {
    new FrameDecoder(sink).push(small);
    return SMALL;
  }),
  decodeSplitFps: rate(() => {
    const decoder = new FrameDecoder(sink);
    for (const chunk of smallChunks) decoder.push(chunk);
    return SMALL;
  }),
  decodeOneByteFps: rate(() => {
    // worst case: every byte its own read (100 frames per step)
    const decoder = new FrameDecoder(sink);
    const part = small.subarray(0, 100 * (small.length / SMALL));
    for (let i = 0; i < part.length; i++) decoder.push(part.subarray(i, i + 1));
    return 100;
  }),
  decodeBulkMiBps: rate(() => {
    const decoder = new FrameDecoder(sink);
    for (const chunk of bigChunks) decoder.push(chunk);
    return 4;
  }),
  encodeFps: rate(() => {
    for (let i = 0; i < 100; i++) encodeFrame(Kind.REQUEST, Encoding.BYTES, ++id >>> 0, 'echo', payload64);
    return 100;
  }),
};
if (seen === 0) throw new Error('the decoder produced nothing');

if (values.json) {
  process.stdout.write(`${JSON.stringify({ framing: results })}\n`);
} else {
  const fmt = (x) => Math.round(x).toLocaleString('en-US');
  console.log(`FrameDecoder, 64-byte payloads, whole buffer:   ${fmt(results.decodeWholeFps)} frames/s`);
  console.log(`FrameDecoder, 64-byte payloads, 64 KiB reads:   ${fmt(results.decodeSplitFps)} frames/s`);
  console.log(`FrameDecoder, 64-byte payloads, 1-byte reads:   ${fmt(results.decodeOneByteFps)} frames/s`);
  console.log(`FrameDecoder, 1 MiB frames in 64 KiB reads:     ${fmt(results.decodeBulkMiBps)} MiB/s`);
  console.log(`encodeFrame, 64-byte payloads:                  ${fmt(results.encodeFps)} frames/s`);
}
