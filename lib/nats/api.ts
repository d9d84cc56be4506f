// The part of the NATS client (@nats-io/transport-node 3) that unixipc/nats uses, written out so
// that the public types of this entry never name the optional package: a user without it
// installed still type-checks, and load.ts checks the real module against these shapes.

export interface NatsHeaders {
  get(key: string): string;
  set(key: string, value: string): void;
  has(key: string): boolean;
  /** Set on a status message from the server (503: no responders). */
  readonly hasError: boolean;
  readonly code: number;
}

export interface NatsMsg {
  readonly subject: string;
  readonly reply?: string | undefined;
  readonly data: Uint8Array;
  readonly headers?: NatsHeaders | undefined;
}

export interface NatsSubscription {
  unsubscribe(max?: number): void;
  drain(): Promise<void>;
}

export interface NatsSubscribeOptions {
  queue?: string;
  callback: (error: Error | null, msg: NatsMsg) => void;
}

export interface NatsPublishOptions {
  reply?: string;
  headers?: NatsHeaders;
}

/** A connection to a NATS server, as returned by the NATS client's `connect()`. */
export interface NatsConnection {
  readonly info?: { max_payload: number; headers?: boolean } | undefined;
  publish(subject: string, payload?: Uint8Array, options?: NatsPublishOptions): void;
  subscribe(subject: string, options: NatsSubscribeOptions): NatsSubscription;
  flush(): Promise<void>;
  drain(): Promise<void>;
  close(): Promise<void>;
  // biome-ignore lint/suspicious/noConfusingVoidType: the NATS client's own type; undefined would refuse its connections
  closed(): Promise<void | Error>;
  isClosed(): boolean;
  getServer(): string;
}

/** What this entry takes from the NATS client module. */
export interface NatsModule {
  connect(options: Record<string, unknown>): Promise<NatsConnection>;
  headers(): NatsHeaders;
  createInbox(prefix?: string): string;
}
