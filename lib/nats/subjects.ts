// The subject layout of a service S (docs/beyond-one-machine.md, "On the wire"):
//   S.req.METHOD   requests (with a reply subject) and notifications (without); queue group S
//   S.evt.EVENT    server.broadcast(): every client of S hears it
//   S.cancel       the caller no longer wants an answer; every instance hears it, the one running it stops
//   INBOX.ID       a client's answers to request ID (INBOX is the client's own inbox)
//   INBOX.e.EVENT  ctx.peer.notify(): an event for that client only
//   SINBOX.N       a server instance's stream N: the client's credit (flow control) goes there

/** Method and event names used as they are in a subject. Anything else travels base64url-encoded. */
const PLAIN_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
/** Marks an encoded name; it cannot start a plain one. */
const ENCODED = '~';
/**
 * A subject must fit in the NATS control line (4 KiB by default, with the reply subject and the
 * sizes): names stay well under it.
 */
export const MAX_NAME_BYTES = 1024;

/** NAME as a subject tail: itself when it is a plain dotted name, else "~" and its base64url bytes. */
export function nameToken(kind: string, name: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`${kind} name must be a non-empty string`);
  }
  const token = PLAIN_NAME.test(name) ? name : ENCODED + Buffer.from(name, 'utf8').toString('base64url');
  if (token.length > MAX_NAME_BYTES) {
    throw new TypeError(`${kind} name is too long for a NATS subject (at most ${MAX_NAME_BYTES} bytes)`);
  }
  return token;
}

/** The name a subject tail stands for; undefined for a tail that is not one nameToken() makes. */
export function tokenToName(token: string): string | undefined {
  if (token.startsWith(ENCODED)) {
    const encoded = token.slice(1);
    if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
    const name = Buffer.from(encoded, 'base64url').toString('utf8');
    return name.length > 0 ? name : undefined;
  }
  return PLAIN_NAME.test(token) ? token : undefined;
}

export class Subjects {
  readonly requests: string;
  readonly events: string;
  readonly cancel: string;
  private readonly requestPrefix: string;
  private readonly eventPrefix: string;

  constructor(readonly service: string) {
    this.requestPrefix = `${service}.req.`;
    this.eventPrefix = `${service}.evt.`;
    this.requests = `${this.requestPrefix}>`;
    this.events = `${this.eventPrefix}>`;
    this.cancel = `${service}.cancel`;
  }

  request(method: string): string {
    return this.requestPrefix + nameToken('method', method);
  }

  event(name: string): string {
    return this.eventPrefix + nameToken('event', name);
  }

  /** The method of a request subject (undefined: not one of ours). */
  methodOf(subject: string): string | undefined {
    return subject.startsWith(this.requestPrefix)
      ? tokenToName(subject.slice(this.requestPrefix.length))
      : undefined;
  }

  eventOf(subject: string): string | undefined {
    return subject.startsWith(this.eventPrefix)
      ? tokenToName(subject.slice(this.eventPrefix.length))
      : undefined;
  }
}

/** A client's event subject for ctx.peer.notify(): INBOX.e.EVENT. */
export function peerEventSubject(inbox: string, event: string): string {
  return `${inbox}.e.${nameToken('event', event)}`;
}

/** The client inbox a reply subject (INBOX.ID) belongs to. */
export function inboxOf(reply: string): string {
  const dot = reply.lastIndexOf('.');
  return dot > 0 ? reply.slice(0, dot) : reply;
}
