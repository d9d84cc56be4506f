import { ErrorCodes, IpcError } from '../errors.ts';
import type { NatsModule } from './api.ts';

/** The optional peer dependency this entry runs on. */
export const NATS_PACKAGE = '@nats-io/transport-node';

let loaded: Promise<NatsModule> | undefined;

/**
 * Loads the NATS client on first use. It is an optional peer dependency: the main entry never
 * loads it, and a user of this entry who has not installed it gets an error that says so.
 */
export function loadNats(): Promise<NatsModule> {
  loaded ??= import(NATS_PACKAGE).then(
    (mod: Record<string, unknown>) => {
      // An ES module import of the CommonJS client gives named exports; some loaders give only a default.
      const api = (typeof mod.connect === 'function' ? mod : mod.default) as NatsModule | undefined;
      if (typeof api?.connect !== 'function' || typeof api.headers !== 'function') {
        throw new IpcError(
          ErrorCodes.MISSING_DEPENDENCY,
          `${NATS_PACKAGE} was found but does not look like the NATS client 3.x (no connect/headers)`,
        );
      }
      return api;
    },
    (cause: unknown) => {
      loaded = undefined; // installing it and trying again should work
      throw new IpcError(
        ErrorCodes.MISSING_DEPENDENCY,
        `unixipc/nats needs the NATS client: npm install ${NATS_PACKAGE} (an optional peer dependency, not installed with unixipc)`,
        { cause },
      );
    },
  );
  return loaded;
}
