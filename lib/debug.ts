import { debuglog } from 'node:util';

/** `NODE_DEBUG=unixipc` prints every bind, stale-file decision, fallback and connection event. */
export const debug = debuglog('unixipc');
