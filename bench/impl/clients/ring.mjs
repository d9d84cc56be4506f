/** Callbacks by request id; ids grow by one and fewer than SIZE are ever in flight. */
export const RING_SIZE = 1024;
export const RING_MASK = RING_SIZE - 1;
