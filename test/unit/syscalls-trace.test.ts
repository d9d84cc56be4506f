// examples/syscalls/trace.mjs: an strace -f log into API calls and the socket calls under them.
// strace splits a call that another thread interrupts into "<unfinished ...>" and "<... resumed>":
// which calls are split depends on timing, so the join must give the same text either way.
import { describe, expect, it } from 'vitest';

const { parseTrace, families } = await import(
  new URL('../../examples/syscalls/trace.mjs', import.meta.url).href
);

const LOG = `
10 write(1, "@@ server| serve(\\"/d/app.sock\\")\\n", 30) = 30
10 getsockname(1, {sa_family=AF_UNIX}, [128 => 2]) = 0
10 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0) = 18
10 bind(18, {sa_family=AF_UNIX, sun_path="/d/.uipc-1"}, 110) = 0
10 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, child_tid=0x1}, 88) = 12
12 link("/d/.uipc-1", "/d/app.sock") = 0
12 unlink("/etc/elsewhere") = 0
10 accept4(18, NULL, NULL, SOCK_CLOEXEC|SOCK_NONBLOCK) = 19
10 write(19, "abc", 3 <unfinished ...>
11 write(17, "x", 1) = 1
10 <... write resumed>) = 3
10 getsockopt(19, SOL_SOCKET, SO_ERROR, <unfinished ...>
10 <... getsockopt resumed>[0], [4]) = 0
10 read(19, <unfinished ...>
10 <... read resumed> "abc", 65536) = 3
10 read(5, "file contents", 100) = 13
10 close(19) = 0
10 read(19, "a file now", 100) = 10
20 write(1, "@@ client| connect()\\n", 21) = 21
20 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 7
20 connect(7, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress)
30 socket(AF_INET6, SOCK_STREAM, 0) = 3
`;

describe('examples/syscalls trace parser', () => {
  it('puts each marker above its own process socket calls, joins split calls, and leaves out the rest', () => {
    const rows = parseTrace(LOG, '/d');
    expect(rows.map((row: { role: string; text: string }) => `${row.role} ${row.text}`)).toEqual([
      'server serve("/d/app.sock")',
      'server socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0) = 18',
      'server bind(18, {sa_family=AF_UNIX, sun_path="/d/.uipc-1"}, 110) = 0',
      'server link("/d/.uipc-1", "/d/app.sock") = 0', // from a thread of the server's process
      'server accept4(18, NULL, NULL, SOCK_CLOEXEC|SOCK_NONBLOCK) = 19',
      'server write(19, "abc", 3) = 3',
      'server getsockopt(19, SOL_SOCKET, SO_ERROR, [0], [4]) = 0',
      'server read(19, "abc", 65536) = 3',
      'client connect()',
      'client socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 7',
      'client connect(7, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress)',
    ]);
    // Process 30 wrote no marker: its AF_INET6 socket is not part of the story.
    expect([...families(rows)].sort()).toEqual(['AF_INET', 'AF_UNIX']);
  });
});
