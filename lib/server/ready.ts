import { debug } from '../debug.ts';

/**
 * Tells whoever started this process that the server is listening: systemd
 * through `systemd-notify --ready` when `$NOTIFY_SOCKET` is set (Node cannot
 * send the datagram itself: it has no AF_UNIX datagram sockets; the unit needs
 * `NotifyAccess=all`), and a parent that forked it with an IPC channel through
 * `process.send({ unixipc: 'ready', endpoint, pid })`.
 */
export function announceReady(endpoint: string): void {
  if (process.env.NOTIFY_SOCKET) {
    const { spawn } = process.getBuiltinModule('node:child_process');
    const child = spawn(
      'systemd-notify',
      ['--no-block', '--ready', `--pid=${process.pid}`, `--status=listening on ${endpoint}`],
      {
        stdio: 'ignore',
      },
    );
    child.on('error', (error) => debug('ready: systemd-notify failed: %s', error.message));
    child.unref();
  }
  if (typeof process.send === 'function' && process.connected) {
    process.send({ unixipc: 'ready', endpoint, pid: process.pid }, undefined, {}, (error) => {
      if (error) debug('ready: telling the parent failed: %s', error.message);
    });
  }
}
