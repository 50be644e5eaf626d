// The control plane reaching joined tabs: DeleteAttendee and DeleteMeeting end their sessions
// with the right status, and a forged JoinToken is refused once, for good.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { sleep } from '../lib/browser.mjs';
import { createAttendee, createMeeting, deleteAttendee, deleteMeeting } from '../lib/carillon.mjs';
import { CONCURRENCY, START_TIMEOUT_MS, useFixture } from '../lib/fixture.mjs';

const fx = useFixture();

// A token of the same shape as `token` that the server did not issue: if it is unpadded base64 of
// "<attendee id>:<secret>" (the form real Chime tokens have), the same attendee id with another
// secret of the same length; otherwise the token with its last characters changed. Only
// characters a WebSocket subprotocol may carry.
function forge(token) {
  const text = Buffer.from(token, 'base64').toString('latin1');
  const colon = text.indexOf(':');
  let forged;
  if (colon > 0 && /^[\x20-\x7e]+$/.test(text)) {
    const secretLength = text.length - colon - 1;
    const secret = randomBytes(secretLength).toString('hex').slice(0, secretLength);
    forged = Buffer.from(`${text.slice(0, colon + 1)}${secret}`, 'latin1').toString('base64').replace(/=+$/, '');
  } else {
    const tail = token.slice(-4).split('').map((c) => (c === 'A' ? 'B' : 'A')).join('');
    forged = token.slice(0, -4) + tail;
  }
  assert.notEqual(forged, token);
  assert.match(forged, /^[A-Za-z0-9+]+$/);
  return forged;
}

describe('the control plane and joined tabs', { concurrency: CONCURRENCY }, () => {
  test('DeleteAttendee: the removed tab stops with AudioAttendeeRemoved, the other sees it go', { timeout: 90000 }, async (t) => {
    const { meeting, members: [alice, bob] } = await fx.joinedMeeting(t, ['alice', 'bob']);
    await alice.tab.waitFor('presence', { attendeeId: bob.attendeeId, present: true });
    await deleteAttendee(fx.server, meeting, bob.attendee);
    const stopped = await bob.tab.waitFor('didStop', {});
    assert.equal(stopped.code, 'AudioAttendeeRemoved', await bob.tab.diagnostics());
    await alice.tab.waitFor('presence', { attendeeId: bob.attendeeId, present: false });
    await sleep(1000);
    assert.deepEqual(await alice.tab.eventsOf('didStop'), [], 'alice stays in the meeting');
    const reconnects = (await bob.tab.events()).filter((e) => e.kind === 'didStartConnecting' && e.reconnecting);
    assert.deepEqual(reconnects, [], 'the removed attendee does not try to reconnect');
  });

  test('DeleteMeeting: both tabs stop with MeetingEnded', { timeout: 90000 }, async (t) => {
    const { meeting, members } = await fx.joinedMeeting(t, ['alice', 'bob']);
    await deleteMeeting(fx.server, meeting);
    for (const { tab } of members) {
      const stopped = await tab.waitFor('didStop', {});
      assert.equal(stopped.code, 'MeetingEnded', await tab.diagnostics());
    }
  });

  test('a forged JoinToken is refused: the session stops with a terminal status and does not retry', { timeout: 90000 }, async (t) => {
    const meeting = await createMeeting(fx.server);
    const attendee = await createAttendee(fx.server, meeting, `mallory-${Date.now()}`);
    const forged = { Attendee: { ...attendee.Attendee, JoinToken: forge(attendee.Attendee.JoinToken) } };
    const tab = await fx.openTab(t, 'mallory');
    await tab.join(meeting, forged);
    const stopped = await tab.waitFor('didStop', {}, { timeout: START_TIMEOUT_MS });
    t.diagnostic(`refused with ${stopped.code}`);
    assert.equal(stopped.terminal, true, `a terminal status: ${JSON.stringify(stopped)}`);
    // Time for any retry to show.
    await sleep(3000);
    const events = await tab.events();
    assert.deepEqual(events.filter((e) => e.kind === 'didStart'), [], `never started:\n${await tab.diagnostics()}`);
    assert.equal(events.filter((e) => e.kind === 'socketOpened').length, 1,
      `one signaling connection, no retries:\n${await tab.diagnostics()}`);
    assert.equal(events.filter((e) => e.kind === 'didStop').length, 1, 'stopped once');
    assert.deepEqual(events.filter((e) => e.kind === 'presence'), [], 'no roster for a refused join');
  });
});
