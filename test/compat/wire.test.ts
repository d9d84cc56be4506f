import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../lib/compat/node-ipc/wire.ts';

const require = createRequire(import.meta.url);
/** Resolves as node-ipc 9.x itself does (its own js-message). */
const theirRequire = createRequire(require.resolve('node-ipc9/package.json'));

/** node-ipc 9.x's own encoder: js-message's JSON plus its EventParser's delimiter and `{}` rule. */
function theirs(type: string, data: unknown, delimiter = '\f'): string {
  const Message = theirRequire('js-message');
  const EventParser = theirRequire('./entities/EventParser.js');
  const message = new Message();
  message.type = type;
  message.data = data;
  return new EventParser({ delimiter }).format(message);
}

describe("node-ipc's wire", () => {
  const samples: [string, unknown][] = [
    ['hello', { id: 'me', x: [1, 2] }],
    ['nodata', undefined],
    ['null', null],
    ['empty', ''],
    ['zero', 0],
    ['false', false],
    ['text', 'é✓\f inside a string'],
    ['list', [1, 'two', { three: 3 }]],
  ];

  it.each(samples)('encodes %s as node-ipc 9.x does', (type, data) => {
    expect(encodeMessage(type, data, '\f')).toBe(theirs(type, data));
    expect(encodeMessage(type, data, '<END>')).toBe(theirs(type, data, '<END>'));
  });

  it('matches the bytes captured from a node-ipc 9.2.1 client', () => {
    expect(
      encodeMessage('hello', { id: 'me', x: [1, 2] }, '\f') + encodeMessage('nodata', undefined, '\f'),
    ).toBe('{"type":"hello","data":{"id":"me","x":[1,2]}}\f{"type":"nodata","data":{}}\f');
  });

  it('decodes a message, and refuses what is not a message object with a type', () => {
    expect(decodeMessage(Buffer.from('{"type":"a","data":[1]}'))).toEqual({ type: 'a', data: [1] });
    for (const bad of ['', 'not json', '[1]', '"x"', 'null', '{"data":1}', '{"type":""}', '{"type":3}']) {
      expect(() => decodeMessage(Buffer.from(bad))).toThrow(
        expect.objectContaining({ code: 'ERR_IPC_BAD_FRAME' }),
      );
    }
  });
});
