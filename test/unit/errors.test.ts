import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, IpcError, isIpcError } from '../../lib/errors.ts';

describe('IpcError', () => {
  it('keeps the code, the cause and extra data, and serialises with toJSON', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED /x.sock'), { code: 'ECONNREFUSED' });
    const error = new IpcError(ErrorCodes.CONNECT, 'cannot connect', { cause, data: { path: '/x.sock' } });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('IpcError');
    expect(error.code).toBe('ERR_IPC_CONNECT');
    expect(error.cause).toBe(cause);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'IpcError',
      code: 'ERR_IPC_CONNECT',
      message: 'cannot connect',
      data: { path: '/x.sock' },
      cause: { name: 'Error', message: 'connect ECONNREFUSED /x.sock', code: 'ECONNREFUSED' },
    });
  });

  it('is recognised by isIpcError, and other errors are not', () => {
    expect(isIpcError(new IpcError(ErrorCodes.TIMEOUT, 't'))).toBe(true);
    expect(isIpcError(new Error('x'))).toBe(false);
    expect(isIpcError({ code: 'ERR_IPC_TIMEOUT' })).toBe(false);
    expect(isIpcError(null)).toBe(false);
  });

  it('is recognised across the ESM and CJS builds', async () => {
    const require = createRequire(import.meta.url);
    const cjs = require('../../dist/index.cjs');
    // The built ESM entry (a computed specifier: dist/ is build output, not typechecked).
    const esm = await import(new URL('../../dist/index.js', import.meta.url).href);
    const fromCjs = new cjs.IpcError('ERR_IPC_CLOSED', 'closed');
    const fromEsm = new esm.IpcError('ERR_IPC_CLOSED', 'closed');
    expect(fromCjs).not.toBeInstanceOf(esm.IpcError);
    expect(esm.isIpcError(fromCjs)).toBe(true);
    expect(cjs.isIpcError(fromEsm)).toBe(true);
    expect(isIpcError(fromCjs)).toBe(true);
  });
});
