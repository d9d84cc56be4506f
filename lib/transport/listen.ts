import { type Endpoint, formatEndpoint } from '../endpoint.ts';
import { ErrorCodes, IpcError, systemCode } from '../errors.ts';
import { type BindOptions, bindPath } from './bind.ts';
import { createNetServer, type Listener, listenServer, NetListener } from './listener.ts';
import { displayPath, isAbstract } from './socket-path.ts';

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
    const server = await listenPlain({ path: endpoint.path }, displayPath(endpoint.path), options.backlog);
    return new NetListener(server, 'unix', formatEndpoint(endpoint), undefined);
  }
  return bindPath(endpoint.path, options);
}
