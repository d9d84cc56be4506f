// The hello/hi client of the lesson, with unixipc, marking each API call for the trace.
// Usage: node client.mjs ENDPOINT
import { connect } from 'unixipc';
import { mark } from './mark.mjs';

const endpoint = process.argv[2];
mark('client', `connect(${JSON.stringify(endpoint)})`);
const client = await connect(endpoint, { heartbeatInterval: 0 });
mark('client', `client.request('say', 'hello')`);
const answer = await client.request('say', 'hello');
mark('client', `got ${JSON.stringify(answer)}; client.close()`);
await client.close();
mark('client', 'closed');
