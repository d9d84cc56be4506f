import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatEndpoint, parseEndpoint, resolveSocketPath } from '../../lib/endpoint.ts';

describe('parseEndpoint', () => {
  it.each([
    ['/run/app.sock', { kind: 'path', path: '/run/app.sock' }],
    ['unix:/run/app.sock', { kind: 'path', path: '/run/app.sock' }],
    ['unix:///run/app.sock', { kind: 'path', path: '/run/app.sock' }],
    ['rel/app.sock', { kind: 'path', path: resolve('rel/app.sock') }],
    ['\0abstract-name', { kind: 'path', path: '\0abstract-name' }],
    ['tcp://127.0.0.1:0', { kind: 'tcp', host: '127.0.0.1', port: 0 }],
    ['tcp://localhost:8123', { kind: 'tcp', host: 'localhost', port: 8123 }],
    ['tcp://[::1]:9', { kind: 'tcp', host: '::1', port: 9 }],
  ])('parses %j', (input, expected) => {
    expect(parseEndpoint(input)).toEqual(expected);
  });

  it('parses objects', () => {
    expect(parseEndpoint({ path: '/a/b.sock' })).toEqual({ kind: 'path', path: '/a/b.sock' });
    expect(parseEndpoint({ port: 0 })).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 0 });
    expect(parseEndpoint({ host: '::1', port: 5 })).toEqual({ kind: 'tcp', host: '::1', port: 5 });
    expect(parseEndpoint({ name: 'svc' })).toEqual({ kind: 'path', path: resolveSocketPath('svc') });
    expect(parseEndpoint({ fd: 3 })).toEqual({ kind: 'fd', fd: 3 });
    expect(() => parseEndpoint({ fd: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_IPC_BAD_ENDPOINT' }),
    );
  });

  it('points a nats:// endpoint to unixipc/nats', () => {
    expect(() => parseEndpoint('nats://127.0.0.1:4222/svc')).toThrow(
      expect.objectContaining({
        code: 'ERR_IPC_BAD_ENDPOINT',
        message: expect.stringContaining('unixipc/nats'),
      }),
    );
  });

  it.each([
    [''],
    ['tcp://127.0.0.1'],
    ['tcp://127.0.0.1:70000'],
    ['tcp://:80'],
    ['http://localhost:80'],
    // Upper case too (the scheme check is spelled out, not a case-insensitive regex).
    ['HTTP://localhost:80'],
    ['Git+SSH://host/x'],
    ['/a\0b'],
    ['\0'],
    [{ port: -1 }],
    [{ port: 1.5 }],
    [{}],
    [null],
    [42],
  ])('rejects %j with ERR_IPC_BAD_ENDPOINT', (input) => {
    expect(() => parseEndpoint(input as never)).toThrow(
      expect.objectContaining({ code: 'ERR_IPC_BAD_ENDPOINT' }),
    );
  });

  it('formats what it parsed', () => {
    expect(formatEndpoint(parseEndpoint('tcp://[::1]:9'))).toBe('tcp://[::1]:9');
    expect(formatEndpoint(parseEndpoint('/x.sock'))).toBe('unix:/x.sock');
  });
});

describe('resolveSocketPath', () => {
  const saved = { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR, TMPDIR: process.env.TMPDIR };
  const dirs: string[] = [];
  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('resolves from the uid, not from $XDG_RUNTIME_DIR: a desktop session, ssh and cron agree', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'uipc-tmp-'));
    dirs.push(tmp);
    process.env.TMPDIR = tmp;
    delete process.env.XDG_RUNTIME_DIR;
    const without = resolveSocketPath('mydaemon');
    process.env.XDG_RUNTIME_DIR = '/run/user/4242';
    expect(resolveSocketPath('mydaemon')).toBe(without);
    const run = `/run/user/${process.getuid?.()}`;
    expect([
      join(run, 'mydaemon.sock'),
      join(tmp, `unixipc-${process.getuid?.()}`, 'mydaemon.sock'),
    ]).toContain(without);
  });

  it('falls back to a per-user 0700 directory under the temp dir', () => {
    delete process.env.XDG_RUNTIME_DIR;
    const tmp = mkdtempSync(join(tmpdir(), 'uipc-tmp-'));
    dirs.push(tmp);
    process.env.TMPDIR = tmp;
    const path = resolveSocketPath('svc');
    const uid = process.getuid?.();
    expect(path).toBe(join(tmp, `unixipc-${uid}`, 'svc.sock'));
    expect(statSync(join(tmp, `unixipc-${uid}`)).mode & 0o777).toBe(0o700);
  });

  it('refuses a per-user directory that others can open', async () => {
    delete process.env.XDG_RUNTIME_DIR;
    const tmp = mkdtempSync(join(tmpdir(), 'uipc-tmp-'));
    dirs.push(tmp);
    process.env.TMPDIR = tmp;
    const { mkdirSync, chmodSync } = await import('node:fs');
    mkdirSync(join(tmp, `unixipc-${process.getuid?.()}`));
    chmodSync(join(tmp, `unixipc-${process.getuid?.()}`), 0o777);
    expect(() => resolveSocketPath('svc')).toThrow(/not a private directory/);
  });

  it('honours { dir }', () => {
    expect(resolveSocketPath('a-b_c.1', { dir: '/srv/x' })).toBe('/srv/x/a-b_c.1.sock');
  });

  it.each(['', '../etc', 'a/b', '.hidden', 'x'.repeat(65), 'a..b'])('rejects the name %j', (name) => {
    expect(() => resolveSocketPath(name)).toThrow(expect.objectContaining({ code: 'ERR_IPC_BAD_ENDPOINT' }));
  });
});
