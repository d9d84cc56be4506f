// The raw floor's wire format (u32 BE length, u32 BE id, payload), shared with `unixipc bench`:
// lib/cli/bench/raw-wire.ts, built into dist/cli/bench-kit.js (run `npx tsup` first).
export { RAW_HEADER, RawDecoder, rawFrame, rawHeader } from '../../dist/cli/bench-kit.js';
