import { ErrorCodes, IpcError } from '../../errors.ts';
import type { RequestOptions } from './types.ts';

const DEFAULT_TIMEOUT_MS = 30_000;

interface Waiting {
  reply: string;
  match: ((data: any) => boolean) | undefined;
  resolve(data: unknown): void;
  reject(error: IpcError): void;
}

/**
 * The extension behind `ipc.of[id].request()`: node-ipc's wire has no
 * request ids, so an answer is the next message of the reply type, given to
 * the oldest request waiting for that type (or the oldest whose `match`
 * accepts it). That holds for any server that answers in order, node-ipc's
 * included, with no change on its side. The answer is still published to
 * the ordinary handlers.
 */
export class Requests {
  private readonly waiting: Waiting[] = [];

  add(type: string, options: RequestOptions): Promise<any> {
    const timeoutMs = options.timeout ?? DEFAULT_TIMEOUT_MS;
    const signal = options.signal;
    if (signal?.aborted) {
      return Promise.reject(new IpcError(ErrorCodes.ABORTED, `request "${type}" was aborted`));
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () =>
        settle(() => reject(new IpcError(ErrorCodes.ABORTED, `request "${type}" was aborted`)));
      const entry: Waiting = {
        reply: options.reply ?? type,
        match: options.match,
        resolve: (data) => settle(() => resolve(data)),
        reject: (error) => settle(() => reject(error)),
      };
      const settle = (how: () => void) => {
        const at = this.waiting.indexOf(entry);
        if (at === -1) return;
        this.waiting.splice(at, 1);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        how();
      };
      this.waiting.push(entry);
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(
          () =>
            settle(() =>
              reject(
                new IpcError(
                  ErrorCodes.TIMEOUT,
                  `no "${entry.reply}" answer to "${type}" within ${timeoutMs} ms`,
                ),
              ),
            ),
          timeoutMs,
        );
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Gives a message to the request it answers, if any waits for it. */
  answer(type: string, data: unknown): void {
    for (const entry of this.waiting) {
      if (entry.reply !== type) continue;
      if (entry.match !== undefined && !entry.match(data)) continue;
      entry.resolve(data);
      return;
    }
  }

  rejectAll(error: IpcError): void {
    for (const entry of this.waiting.slice()) entry.reject(error);
  }
}
