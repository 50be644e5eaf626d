// A Carillon server for one test file: every listener on a free loopback port, an in-memory store,
// no media (this suite speaks only the APIs).
import { startCarillonProcess } from '../../node-support/carillon-process.mjs';

// Starts the server with `args` after those flags; see startCarillonProcess for what it resolves to.
export function startCarillon(args = []) {
  return startCarillonProcess([
    '--listen', '127.0.0.1:0',
    '--legacy-listen', '127.0.0.1:0',
    '--admin-listen', '127.0.0.1:0',
    '--media-listen', '127.0.0.1:0',
    '--audio', 'off',
    '--in-memory',
    ...args,
  ]);
}
