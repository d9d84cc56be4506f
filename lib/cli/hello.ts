// What ping, ls and doctor show of a server they reached: its hello and its methods.
import type { Client, MethodInfo, ServerInfo } from '../client/client.ts';
import { isIpcError } from '../errors.ts';

/** "kv 1.2.3, pid 4242, protocol 1" (a server that gave no name: "unnamed server, ..."). */
export function describeServer(info: ServerInfo): string {
  const name = info.name === undefined ? 'unnamed server' : `"${info.name}"`;
  const version = info.version === undefined ? '' : ` ${info.version}`;
  const pid = info.pid === undefined ? '' : `, pid ${info.pid}`;
  return `${name}${version}${pid}, protocol ${info.protocol}`;
}

/** The server's methods, or undefined from a server that does not list them (older than $methods). */
export async function methodsOf(client: Client, timeout: number): Promise<MethodInfo[] | undefined> {
  try {
    return await client.methods({ timeout });
  } catch (error) {
    if (isIpcError(error) && error.code === 'ERR_IPC_NO_METHOD') return undefined;
    throw error;
  }
}

/** "count (stream), echo, upper". */
export function methodList(methods: MethodInfo[] | undefined): string {
  if (methods === undefined) return '-';
  return methods.map((m) => (m.stream ? `${m.name} (stream)` : m.name)).join(', ') || 'none';
}
