import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNatsEndpoint } from '../../lib/nats/endpoint.ts';
import { nameToken, Subjects, tokenToName } from '../../lib/nats/subjects.ts';

describe('NATS endpoints', () => {
  it('parses host, port (4222 by default), service and credentials, and shows none of them', () => {
    expect(parseNatsEndpoint('nats://127.0.0.1:4333/greeter')).toEqual({
      server: '127.0.0.1:4333',
      service: 'greeter',
      auth: {},
      display: 'nats://127.0.0.1:4333/greeter',
    });
    expect(parseNatsEndpoint('nats://nats.internal/billing.eu')).toMatchObject({
      server: 'nats.internal:4222',
      service: 'billing.eu',
    });
    expect(parseNatsEndpoint('nats://me:s%40cret@[::1]:4222/svc')).toEqual({
      server: '[::1]:4222',
      service: 'svc',
      auth: { user: 'me', pass: 's@cret' },
      display: 'nats://[::1]:4222/svc',
    });
    expect(parseNatsEndpoint('nats://tok3n@h:1/svc').auth).toEqual({ token: 'tok3n' });
  });

  it.each([
    'nats://h:4222',
    'nats://h:4222/',
    'nats://h/a b',
    'nats://h/a.*',
    'nats://h/a.>',
    'nats://h/a..b',
    'nats://h/a/b',
    'nats://h/svc?x=1',
    'nats:///svc',
    'tcp://h:1/svc',
    '/path.sock',
    `nats://h/${'a'.repeat(129)}`,
  ])('refuses %j with ERR_IPC_BAD_ENDPOINT', (input) => {
    expect(() => parseNatsEndpoint(input)).toThrow(expect.objectContaining({ code: 'ERR_IPC_BAD_ENDPOINT' }));
  });
});

describe('subject names', () => {
  it('keeps plain dotted names as they are and encodes the rest', () => {
    expect(nameToken('method', 'upper')).toBe('upper');
    expect(nameToken('method', 'user.get_by-id')).toBe('user.get_by-id');
    for (const name of ['say hello', '*', '>', 'a..b', '.a', 'a.', 'é', '~x', '$SYS']) {
      const token = nameToken('method', name);
      expect(token.startsWith('~')).toBe(true);
      expect(token).toMatch(/^~[A-Za-z0-9_-]+$/);
      expect(tokenToName(token)).toBe(name);
    }
    expect(() => nameToken('method', '')).toThrow(TypeError);
    expect(() => nameToken('method', 'x'.repeat(2000))).toThrow(TypeError);
  });

  it('round-trips any name through a subject, which never holds a wildcard or an empty token', () => {
    const subjects = new Subjects('svc');
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }), (name) => {
        fc.pre(Buffer.byteLength(name) <= 700); // base64url of it stays under MAX_NAME_BYTES
        const subject = subjects.request(name);
        expect(subject.split('.').every((token) => token !== '' && token !== '*' && token !== '>')).toBe(
          true,
        );
        expect(/\s/.test(subject)).toBe(false);
        expect(subjects.methodOf(subject)).toBe(name);
        expect(subjects.eventOf(subjects.event(name))).toBe(name);
      }),
    );
  });

  it('tells its own subjects from others', () => {
    const subjects = new Subjects('svc');
    expect(subjects.methodOf('other.req.x')).toBeUndefined();
    expect(subjects.methodOf('svc.req.~!!')).toBeUndefined();
    expect(subjects.methodOf('svc.req.a..b')).toBeUndefined();
  });
});
