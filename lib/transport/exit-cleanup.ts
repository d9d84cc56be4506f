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
