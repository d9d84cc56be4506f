// The strace lesson, done for unixipc: runs the hello/hi server and client under
// `strace -f -e trace=network,...` and prints each API call beside the system calls it made,
// over a socket path (AF_UNIX) and over TCP (AF_INET). Installs nothing: without strace it says
// how to get it.
// Usage: node examples/syscalls/run.mjs
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../shared/processes.mjs';
import { families, parseTrace } from './trace.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
// network: socket, bind, listen, accept4, connect, shutdown, get/setsockopt...; the reads and
// writes are kept for socket descriptors only; close tells when a descriptor stops being one.
// link/unlink show the safe bind's file moves; clone ties libuv's threads to their process.
const TRACE =
  'trace=network,read,write,writev,close,link,linkat,unlink,unlinkat,rename,renameat,renameat2,clone,clone3';
const WIDTH = 118;

const probe = spawnSync('strace', ['-f', '-e', 'trace=none', '-o', '/dev/null', 'true'], {
  encoding: 'utf8',
});
if (probe.error?.code === 'ENOENT') {
  console.log('strace is not installed. It prints every system call a program makes; get it with');
  console.log('  Debian/Ubuntu: sudo apt-get install strace    Fedora/RHEL: sudo dnf install strace');
  console.log('  Alpine: apk add strace    Arch: sudo pacman -S strace');
  console.log('then run this again. (Nothing was traced.)');
  process.exit(0);
}
if (probe.status !== 0) {
  console.log(`strace cannot trace here: ${probe.stderr.trim() || `exit code ${probe.status}`}`);
  console.log('(in a container it needs the ptrace capability, e.g. docker run --cap-add=SYS_PTRACE)');
  process.exit(0);
}

const dir = tempDir('syscalls');
let failed = false;
try {
  for (const [title, endpoint] of [
    ['a socket path (AF_UNIX)', path.join(dir, 'app.sock')],
    ['TCP on loopback (AF_INET)', 'tcp://127.0.0.1:0'],
  ]) {
    const log = path.join(dir, 'trace.log');
    const run = spawnSync(
      'strace',
      ['-f', '-s', '200', '-e', TRACE, '-o', log, process.execPath, path.join(here, 'pair.mjs'), endpoint],
      { encoding: 'utf8', timeout: 20_000 },
    );
    if (run.status !== 0) throw new Error(`the traced pair failed (${run.status}): ${run.stderr}`);
    const rows = parseTrace(fs.readFileSync(log, 'utf8'), dir);
    console.log(`\n== over ${title}: ${endpoint}`);
    for (const row of rows) {
      if (row.kind === 'api') {
        console.log(`${row.role} | ${row.text}`);
        continue;
      }
      // strace pads results to a column; one space reads better here.
      const text = row.text.replaceAll(dir, '$DIR').replace(/\)\s+= /, ') = ');
      const line = `${row.role} |     ${text}`;
      console.log(line.length > WIDTH ? `${line.slice(0, WIDTH - 3)}...` : line);
    }
    console.log(`socket families: ${[...families(rows)].sort().join(', ')}`);
    if (!endpoint.startsWith('tcp://') && fs.existsSync(endpoint))
      throw new Error('the socket file was left behind');
  }
  console.log('\ndone: both traced, the socket file removed');
} catch (error) {
  failed = true;
  console.error(`syscalls example failed: ${error.message}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
