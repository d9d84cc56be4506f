import { probePath } from '../status.ts';

/** `unixipc status PATH`: what is at the path (exit 0 only when a server answers). */
export async function status(args: string[]): Promise<number> {
  const [path] = args;
  if (path === undefined) throw new TypeError('usage: unixipc status PATH');
  const found = await probePath(path);
  const detail = found.kind === 'descriptor' ? ` (tcp port ${found.port}, pid ${found.pid})` : '';
  const kind = found.kind ? ` ${found.kind}` : '';
  process.stdout.write(`${path}: ${found.state}${kind}${detail}\n`);
  return found.state === 'live' ? 0 : 1;
}
