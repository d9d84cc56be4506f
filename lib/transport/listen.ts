import { fs } from '../builtins.ts';
import { type Endpoint, formatEndpoint } from '../endpoint.ts';
import { ErrorCodes, IpcError, systemCode } from '../errors.ts';
import { type BindOptions, bindPath } from './bind.ts';
import { createNetServer, type Listener, listenServer, NetListener } from './listener.ts';
import { abstractAddress, displayPath, isAbstract } from './socket-path.ts';

export interface ListenOptions extends BindOptions {
  /** For explicit tcp:// endpoints: require this token in the hello. */
  token?: string | undefined;
}

/** A plain listen (no file to manage): TCP, or an abstract or Windows pipe name. */
async function listenPlain(
  address: { path: string } | { host: string; port: number },
  where: string,
  backlog: number | undefined,
) {
  const server = createNetServer();
  try {
    await listenServer(server, { ...address, backlog });
  } catch (error) {
    const code = systemCode(error);
    throw new IpcError(
      code === 'EADDRINUSE' ? ErrorCodes.ADDR_IN_USE : ErrorCodes.LISTEN,
      `cannot listen on ${where}: ${
        code === 'EADDRINUSE'
          ? 'another server is listening there'
          : code === 'EACCES'
            ? 'permission denied (a port below 1024 needs privileges)'
            : `${code ?? ''} ${(error as Error).message.split(' \0')[0]}`.trim()
      }`,
      { cause: error },
    );
  }
  return server;
}

/** Listens on an endpoint: safe bind for paths, plain listen for TCP and abstract names. */
export async function listen(endpoint: Endpoint, options: ListenOptions): Promise<Listener> {
  if (endpoint.kind === 'fd') return listenFd(endpoint.fd, options);
  if (endpoint.kind === 'tcp') {
    if (options.transport === 'unix') {
      throw new IpcError(ErrorCodes.BAD_ENDPOINT, `transport 'unix' cannot serve a tcp:// endpoint`);
    }
    const server = await listenPlain(
      { host: endpoint.host, port: endpoint.port },
      formatEndpoint(endpoint),
      options.backlog,
    );
    const { port } = server.address() as { port: number };
    return new NetListener(server, 'tcp', formatEndpoint({ ...endpoint, port }), undefined, options.token);
  }
  if (isAbstract(endpoint.path) || process.platform === 'win32') {
    if (options.transport === 'tcp') {
      throw new IpcError(
        ErrorCodes.BAD_ENDPOINT,
        `transport 'tcp' needs a filesystem path for its descriptor`,
      );
    }
    const address =
      isAbstract(endpoint.path) && process.platform === 'linux'
        ? abstractAddress(endpoint.path)
        : endpoint.path;
    const server = await listenPlain({ path: address }, displayPath(endpoint.path), options.backlog);
    return new NetListener(server, 'unix', formatEndpoint(endpoint), undefined);
  }
  return bindPath(endpoint.path, options);
}

/**
 * Serves on a socket that is already bound and listening (socket activation):
 * whoever bound it owns its file, so closing leaves the file alone. Over TCP,
 * no token is asked (as for an explicit tcp:// endpoint) unless one is given.
 */
async function listenFd(fd: number, options: ListenOptions): Promise<Listener> {
  const server = createNetServer();
  try {
    await listenServer(server, { fd });
  } catch (error) {
    throw new IpcError(
      ErrorCodes.LISTEN,
      `cannot serve on the socket at file descriptor ${fd}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const address = server.address();
  if (typeof address === 'string' || address === null || !('port' in address)) {
    const path = (typeof address === 'string' && address) || unixPathOfFd(fd);
    return new NetListener(server, 'unix', path ? `unix:${path}` : `fd:${fd}`, undefined);
  }
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  return new NetListener(server, 'tcp', `tcp://${host}:${address.port}`, undefined, options.token);
}

/**
 * The path an AF_UNIX socket at FD is bound to (Node does not tell it for a
 * socket it did not bind): its inode, from /proc/self/fd, looked up in
 * /proc/net/unix (Linux). Undefined where that cannot be read.
 */
function unixPathOfFd(fd: number): string | undefined {
  try {
    const inode = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`))?.[1];
    if (inode === undefined) return undefined;
    for (const line of fs.readFileSync('/proc/net/unix', 'latin1').split('\n')) {
      const fields = line.trim().split(/\s+/);
      // Num RefCount Protocol Flags Type St Inode Path
      if (fields[6] === inode && fields[7] !== undefined)
        return fields[7].startsWith('@') ? `\0${fields[7].slice(1)}` : fields[7];
    }
  } catch {
    // not Linux, or /proc hidden
  }
  return undefined;
}
