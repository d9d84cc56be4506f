import { ErrorCodes, IpcError } from '../../errors.ts';
import type { RemoteInfo } from '../../transport/index.ts';
import type { Settings } from './config.ts';
import { DelimiterDecoder } from './delimiter-decoder.ts';
import { admit } from './policy.ts';
import { decodeMessage } from './wire.ts';

/** A UDP peer as node-ipc hands it to handlers: where to send an answer. */
export interface UdpPeer {
  address: string;
  port: number;
  family: string;
  id?: string;
}

export interface DatagramEvents {
  message(type: string, data: unknown): void;
  dropped(type: string): void;
  /** A datagram or message that could not be read: reported, the server keeps going. */
  bad(error: IpcError): void;
}

/**
 * The messages of one datagram. Each datagram stands alone (node-ipc sends
 * one message per datagram): bytes after its last delimiter are dropped, not
 * kept for the next datagram, which may come from anyone.
 */
export function readDatagram(datagram: Buffer, settings: Settings, events: DatagramEvents): void {
  const decoder = new DelimiterDecoder(
    settings.delimiter,
    (bytes) => {
      let type: string;
      let data: unknown;
      try {
        ({ type, data } = decodeMessage(bytes));
        if (!admit(type, settings)) {
          events.dropped(type);
          return;
        }
      } catch (error) {
        events.bad(error as IpcError);
        return;
      }
      events.message(type, data);
    },
    { maxMessageBytes: settings.maxMessageBytes },
  );
  try {
    decoder.push(datagram);
  } catch (error) {
    if (error !== decoder.error) throw error;
    events.bad(error as IpcError);
    return;
  }
  if (decoder.buffered > 0) {
    events.bad(
      new IpcError(ErrorCodes.BAD_FRAME, `a datagram ended with ${decoder.buffered} bytes and no delimiter`),
    );
  }
}

/**
 * The UDP peers heard from, so `broadcast` reaches them (node-ipc 14 keeps
 * the same list; 9.x/10.x's broadcast reached no one). Bounded: past `max`
 * the peer heard from longest ago is forgotten.
 */
export class UdpPeers {
  private readonly peers = new Map<string, UdpPeer>();

  constructor(private readonly max: number) {}

  from(info: RemoteInfo): UdpPeer {
    const key = `${info.address}|${info.port}`;
    let peer = this.peers.get(key);
    if (peer !== undefined) {
      this.peers.delete(key);
    } else {
      peer = { address: info.address, port: info.port, family: info.family };
      if (this.peers.size >= this.max) {
        const oldest = this.peers.keys().next().value;
        if (oldest !== undefined) this.peers.delete(oldest);
      }
    }
    this.peers.set(key, peer);
    return peer;
  }

  list(): UdpPeer[] {
    return [...this.peers.values()];
  }

  clear(): void {
    this.peers.clear();
  }
}
