import { fs } from '../builtins.ts';

interface Owned {
  path: string;
  ino: number;
  dev: number;
}

const owned = new Set<Owned>();
let hooked = false;

/**
 * On any normal process exit (return from main, process.exit, an uncaught
 * exception), remove the files this process still owns, checking each inode
 * first so a newer server's file is never touched. One 'exit' listener for
 * all servers. SIGKILL cannot be caught: the next serve() reclaims that file.
 */
export function removeOnExit(entry: Owned): () => void {
  owned.add(entry);
  if (!hooked) {
    hooked = true;
    process.on('exit', removeAll);
  }
  return () => owned.delete(entry);
}

function removeAll(): void {
  for (const entry of owned) {
    try {
      const st = fs.lstatSync(entry.path);
      if (st.ino === entry.ino && st.dev === entry.dev) fs.unlinkSync(entry.path);
    } catch {
      // already gone, or not ours to judge: leave it
    }
  }
  owned.clear();
}

let signalsHooked = false;

/**
 * SIGINT and SIGTERM, for servers left at `handleSignals: 'auto'`: Node's default
 * for these signals is to exit at once, and an 'exit' listener does not run
 * then, so the socket files would stay. While nobody else listens for the
 * signal, this removes them (inode-checked, as on exit) and raises the signal
 * again with no listener left: the process ends as it would have. Once the
 * process has a handler of its own for the signal, that handler decides, and
 * the 'exit' hook removes the files if it exits.
 */
export function removeOnSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      if (process.listenerCount(signal) > 1) return;
      removeAll();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
