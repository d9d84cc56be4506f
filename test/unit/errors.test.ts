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

  it('is recognised, by isIpcError and by instanceof, across the ESM and CJS builds and the call entry', async () => {
    const require = createRequire(import.meta.url);
    // The built entries (computed specifiers: dist/ is build output, not typechecked).
    const built = (file: string) => new URL(`../../dist/${file}`, import.meta.url).href;
    const copies = [
      require('../../dist/index.cjs'),
      await import(built('index.js')),
      require('../../dist/call.cjs'),
      await import(built('call.js')),
      { IpcError, isIpcError },
    ];
    // Five classes: each bundle has its own copy of the code.
    expect(new Set(copies.map((copy) => copy.IpcError)).size).toBe(5);
    for (const a of copies) {
      const error = new a.IpcError('ERR_IPC_CLOSED', 'closed');
      for (const b of copies) {
        expect(b.isIpcError(error)).toBe(true);
        expect(error instanceof b.IpcError).toBe(true);
      }
    }
    const others: unknown[] = [new Error('x'), { code: 'ERR_IPC_CLOSED' }, null, 'ERR_IPC_CLOSED'];
    for (const copy of copies) {
      for (const other of others) expect(other instanceof copy.IpcError).toBe(false);
    }
  });
});
