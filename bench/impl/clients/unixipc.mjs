// unixipc client as its docs show it: connect(path), client.request('echo', payload).
import { connect } from 'unixipc';

export async function open(address) {
  const client = await connect(address);
  const conn = {
    onError: undefined,
    send(payload, cb) {
      client.request('echo', payload).then(cb, (error) => conn.onError?.(error));
    },
    close() {
      return client.close();
    },
  };
  return conn;
}
