import { ErrorCodes, IpcError } from '../../errors.ts';
import type { Settings } from './config.ts';
import { encodeMessage, RESERVED_EVENTS } from './wire.ts';

function refused(message: string): IpcError {
  return new IpcError(ErrorCodes.BAD_FRAME, message);
}

/**
 * Whether a peer's message of this type is dispatched. 'fast' drops a
 * reserved name (returns false: the connection goes on); 'guarded' and
 * 'assured' throw ERR_IPC_BAD_FRAME for it, for an over-long name, and under
 * 'assured' for a name outside `allowedEvents` (the caller closes that connection).
 */
export function admit(type: string, settings: Settings): boolean {
  if (settings.profile === 'fast') return settings.allowReservedEvents || !RESERVED_EVENTS.has(type);
  checkName(type, settings, 'received');
  return true;
}

function checkName(type: string, settings: Settings, what: 'received' | 'sent'): void {
  if (type.length > settings.maxEventNameLength) {
    throw refused(`${what} a message name longer than maxEventNameLength (${settings.maxEventNameLength})`);
  }
  if (!settings.allowReservedEvents && RESERVED_EVENTS.has(type)) {
    throw refused(`${what} a message named "${type}", a name reserved for local events`);
  }
  if (settings.allowedEvents !== undefined && !settings.allowedEvents.has(type)) {
    throw refused(`${what} a message named "${type}", which is not in allowedEvents`);
  }
}

/**
 * One outgoing message as bytes: JSON with the delimiter, or in raw mode the
 * value itself (a string in `config.encoding`). Throws ERR_IPC_FRAME_TOO_LARGE
 * over `maxMessageSize` (the peer would refuse it) and, under 'guarded' and
 * 'assured', ERR_IPC_BAD_FRAME for a name the peer would refuse.
 */
export function outgoing(type: unknown, data: unknown, settings: Settings): Buffer {
  if (settings.profile === 'raw') {
    if (Buffer.isBuffer(type)) return type;
    if (type instanceof Uint8Array) return Buffer.from(type.buffer, type.byteOffset, type.byteLength);
    return Buffer.from(String(type), settings.encoding);
  }
  if (typeof type !== 'string' || type.length === 0) {
    throw new TypeError('the message type must be a non-empty string');
  }
  if (settings.profile !== 'fast') checkName(type, settings, 'sent');
  const bytes = Buffer.from(encodeMessage(type, data, settings.delimiter), 'utf8');
  const delimiterBytes = Buffer.byteLength(settings.delimiter);
  if (bytes.length - delimiterBytes > settings.maxMessageBytes) {
    throw new IpcError(
      ErrorCodes.FRAME_TOO_LARGE,
      `"${type}" is ${bytes.length - delimiterBytes} bytes, over maxMessageSize (${settings.maxMessageBytes})`,
    );
  }
  return bytes;
}
