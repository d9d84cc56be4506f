// A progress bar on a terminal (stderr), nothing when stderr is piped or redirected.

/** One line: "[########--------]  45%  latency 4 KiB tcp raw". */
export function renderBar(done: number, total: number, label: string, columns: number): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 0;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const width = Math.max(10, Math.min(40, columns - 30));
  const filled = Math.round(fraction * width);
  const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}  ${label}`;
  return line.length > columns - 1 ? line.slice(0, Math.max(0, columns - 1)) : line;
}

export interface Progress {
  update(done: number, total: number, label: string): void;
  clear(): void;
}

export function progressBar(stream: NodeJS.WriteStream): Progress {
  if (!stream.isTTY) return { update() {}, clear() {} };
  let last = 0;
  let shown = false;
  return {
    update(done, total, label) {
      const now = Date.now();
      if (done < total && now - last < 80) return;
      last = now;
      shown = true;
      stream.write(`\r\x1b[2K${renderBar(done, total, label, stream.columns ?? 80)}`);
    },
    clear() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
