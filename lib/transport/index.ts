// The transport layer: everything that touches node:net, node:dgram and the socket files.

export { activationNames, takeActivatedFd } from './activation.ts';
export { type BindOptions, removeStale } from './bind.ts';
export { clientTrust, type Dialed, type DialOptions, dial, type Opening } from './dial.ts';
export { removeOnSignals } from './exit-cleanup.ts';
export { inspectPath, type PathState } from './inspect.ts';
export { type ListenOptions, listen } from './listen.ts';
export type { Listener } from './listener.ts';
export { acquirePathLock } from './lock.ts';
export { SocketReads, TCP_BODY_READ_BYTES } from './reads.ts';
export { displayPath, reachableOverUnix, SUN_PATH_MAX } from './socket-path.ts';
export type { Socket, TcpOptions } from './sockets.ts';
export { type ClientTrust, readTcpTable, socketUid, type TrustedUids, trustedUids } from './trust.ts';
export { bindUdp, type RemoteInfo, type UdpEndpoint } from './udp.ts';
export { PathWatchdog } from './watchdog.ts';
