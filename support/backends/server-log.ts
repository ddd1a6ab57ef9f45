import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { ServerLog } from './backend';

/** Reads a server log file that has log_connections on. */
export function fileServerLog(path: string): ServerLog {
  return {
    mark: () => statSync(path).size,
    connectionsSince(mark) {
      const size = statSync(path).size;
      const buf = Buffer.alloc(Math.max(0, size - mark));
      const fd = openSync(path, 'r');
      try {
        readSync(fd, buf, 0, buf.length, mark);
      } finally {
        closeSync(fd);
      }
      return parseConnections(buf.toString('utf8'));
    },
  };
}

export function parseConnections(text: string): { user: string; database: string }[] {
  const found: { user: string; database: string }[] = [];
  for (const match of text.matchAll(/connection authorized: user=(\S+) database=(\S+)/g)) found.push({ user: match[1], database: match[2] });
  return found;
}
