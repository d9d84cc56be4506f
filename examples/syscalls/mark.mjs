// A marker in the system-call trace: a synchronous write(1, "@@ ROLE| TEXT\n"). strace records it
// in order with the socket calls around it, so run.mjs can tell which API call made which of them.
import fs from 'node:fs';

export function mark(role, text) {
  fs.writeSync(1, `@@ ${role}| ${text}\n`);
}
