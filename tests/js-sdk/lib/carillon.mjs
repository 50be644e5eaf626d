// A Carillon server for one test file: every listener on a free loopback port, an in-memory store,
// no media (this suite speaks only the APIs).
import { after, before } from 'node:test';
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

// One server for the test file, started with `args`, and one client of it (`makeClient(server)`,
// e.g. meetingsClient or legacyClient), from the file's `before` to its `after`: the returned
// object's `server` and `chime` are set by the time the tests run.
export function serverWith(makeClient, args = ['--quotas', 'off']) {
  const fixture = { server: null, chime: null };
  before(async () => {
    fixture.server = await startCarillon(args);
    fixture.chime = makeClient(fixture.server);
  });
  after(async () => {
    fixture.chime?.destroy();
    await fixture.server?.stop();
  });
  return fixture;
}
