import type { Frame } from '../lib/framing/index.ts';

/** A decoded frame as plain data (its meta decoded, its data copied), for comparisons in tests. */
export interface Plain {
  kind: number;
  flags: number;
  id: number;
  meta: string;
  data: Buffer;
}

export function plain(frame: Frame): Plain {
  return {
    kind: frame.kind,
    flags: frame.flags,
    id: frame.id,
    meta: frame.body.toString('utf8', 0, frame.metaLength),
    data: Buffer.from(frame.body.subarray(frame.metaLength)),
  };
}
