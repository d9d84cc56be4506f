/**
 * `NODE_DEBUG=unixipc` prints every bind, stale-file decision, fallback and
 * connection event, through util.debuglog. node:util is loaded only when the
 * variable names us: loading it costs a CLI a millisecond or two of import time.
 */
function named(): boolean {
  const value = process.env.NODE_DEBUG;
  if (!value) return false;
  return value.split(',').some((entry) => {
    const pattern = entry
      .trim()
      .replace(/[|\\{}()[\]^$+?.]/g, '\\$&')
      .replace(/\*/g, '.*');
    return pattern !== '' && new RegExp(`^${pattern}$`, 'i').test('unixipc');
  });
}

export const debug: (format: string, ...args: unknown[]) => void = named()
  ? process.getBuiltinModule('node:util').debuglog('unixipc')
  : () => {};
