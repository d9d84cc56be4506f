import { basename, dirname, fs } from '../builtins.ts';
import { ErrorCodes, IpcError } from '../errors.ts';

/**
 * Longest socket address the kernel keeps whole: sun_path is 108 bytes on
 * Linux and 104 on macOS/BSD, and we keep room for the NUL. A longer path is
 * not refused by Node 20: it binds at a truncated path. Never hand one over.
 */
export const SUN_PATH_MAX = process.platform === 'linux' ? 107 : 103;

/** Linux lets a directory be named through an open descriptor: /proc/self/fd/N. */
const CAN_ALIAS = process.platform === 'linux';
const ALIAS_PREFIX_MAX = '/proc/self/fd/1048576/'.length;

export function isAbstract(path: string): boolean {
  return path.startsWith('\0');
}

/** sun_path's full size on Linux: an abstract name is all of it, NULs included. */
const ABSTRACT_BYTES = 108;

/**
 * An abstract name as it is bound and connected to: padded with NULs to the
 * whole of sun_path, as Node 20's libuv does by itself (PROTOCOL.md 1.6). Said
 * explicitly, so that a build on a libuv that binds the exact length (1.48 and
 * later) still meets Node 20 peers at the same name. Throws for a name that
 * does not fit.
 */
export function abstractAddress(path: string): string {
  const bytes = Buffer.byteLength(path);
  if (bytes > ABSTRACT_BYTES) {
    throw new IpcError(
      ErrorCodes.PATH_TOO_LONG,
      `the abstract name ${displayPath(path)} is ${bytes - 1} bytes; at most ${ABSTRACT_BYTES - 1} fit`,
    );
  }
  return path + '\0'.repeat(ABSTRACT_BYTES - bytes);
}

/** An abstract name as people write it ("\\0name" would print a raw NUL). */
export function displayPath(path: string): string {
  return isAbstract(path) ? `@${path.slice(1)} (abstract)` : path;
}

export function fitsSunPath(path: string): boolean {
  return Buffer.byteLength(path) <= SUN_PATH_MAX;
}

/** Whether a client can reach PATH over AF_UNIX: directly, or through a short alias of its directory. */
export function reachableOverUnix(path: string): boolean {
  return (
    fitsSunPath(path) || (CAN_ALIAS && ALIAS_PREFIX_MAX + Buffer.byteLength(basename(path)) <= SUN_PATH_MAX)
  );
}

/** A short address for PATH, valid while the directory descriptor stays open. */
export interface ShortAddress {
  address: string;
  release(): void;
}

/**
 * Returns an address that fits sun_path for PATH: PATH itself when it fits,
 * else `/proc/self/fd/N/NAME` with N an open descriptor of PATH's directory.
 * Returns undefined when neither fits (the caller falls back or fails).
 */
export function shortAddress(path: string): ShortAddress | undefined {
  if (fitsSunPath(path)) return { address: path, release() {} };
  if (!CAN_ALIAS) return undefined;
  const fd = fs.openSync(dirname(path), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  const address = `/proc/self/fd/${fd}/${basename(path)}`;
  if (!fitsSunPath(address)) {
    fs.closeSync(fd);
    return undefined;
  }
  let open = true;
  return {
    address,
    release() {
      if (open) fs.closeSync(fd);
      open = false;
    },
  };
}
