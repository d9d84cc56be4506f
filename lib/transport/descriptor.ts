import type { FileHandle } from 'node:fs/promises';
import { crypto, dirname, fsp, join } from '../builtins.ts';

/**
 * The file a TCP-fallback server leaves at a path-style endpoint, so that
 * `connect(path)` finds its port and the token that proves the caller could
 * read a 0600 file in this user's directory.
 */
export interface Descriptor {
  transport: 'tcp';
  host: string;
  port: number;
  token: string;
  pid: number;
  version: number;
}

export const DESCRIPTOR_VERSION = 1;
/** Larger files are not descriptors: never read a big file someone left there. */
export const DESCRIPTOR_MAX_BYTES = 4096;

export function newToken(): string {
  return crypto().randomBytes(32).toString('base64url');
}

/** Parses descriptor text; undefined when it is not one of ours. */
export function parseDescriptor(text: string): Descriptor | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const d = value as Record<string, unknown>;
  if (d.transport !== 'tcp' || typeof d.host !== 'string' || typeof d.token !== 'string') return undefined;
  if (typeof d.port !== 'number' || !Number.isInteger(d.port) || d.port <= 0 || d.port > 65535)
    return undefined;
  return {
    transport: 'tcp',
    host: d.host,
    port: d.port,
    token: d.token,
    pid: typeof d.pid === 'number' ? d.pid : 0,
    version: typeof d.version === 'number' ? d.version : 0,
  };
}

export async function readDescriptor(path: string): Promise<Descriptor | undefined> {
  const text = await fsp().readFile(path, 'utf8');
  return text.length > DESCRIPTOR_MAX_BYTES ? undefined : parseDescriptor(text);
}

/**
 * Writes the descriptor under a temporary name in the same directory, mode
 * 0600, flushed to disk; the caller links it into place. The handle stays
 * open for the server's lifetime so the inode cannot be reused by another file.
 */
export async function writeDescriptorTemp(
  path: string,
  descriptor: Descriptor,
): Promise<{ tempPath: string; handle: FileHandle }> {
  const tempPath = join(dirname(path), `.uipc-${crypto().randomBytes(6).toString('hex')}.tmp`);
  const handle = await fsp().open(tempPath, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(descriptor)}\n`);
    await handle.sync();
    return { tempPath, handle };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
