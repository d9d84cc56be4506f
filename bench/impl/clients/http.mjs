// HTTP/1.1 client: POST /echo through a keep-alive agent holding one socket, as a daemon's
// CLI would talk to a Docker-style socket. Requests beyond the first wait in the agent.
import { Agent, request } from 'node:http';

export function open(address) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const base = address.path ? { socketPath: address.path } : { host: address.host, port: address.port };
  const tcp = !address.path;
  const conn = {
    onError: undefined,
    send(payload, cb) {
      const req = request(
        {
          ...base,
          agent,
          method: 'POST',
          path: '/echo',
          headers: { 'content-type': 'application/octet-stream', 'content-length': payload.length },
        },
        (res) => {
          const chunks = [];
          res.on('data', (chunk) => chunks.push(chunk));
          res.on('end', () => cb(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
        },
      );
      if (tcp) req.once('socket', (socket) => socket.setNoDelay(true));
      req.on('error', (error) => conn.onError?.(error));
      req.end(payload);
    },
    close() {
      agent.destroy();
    },
  };
  return Promise.resolve(conn);
}
