// Two tabs running the Amazon Chime SDK for JavaScript in one meeting created with
// CreateMeeting/CreateAttendee: start, presence, data messages, the mute indicator, leaving,
// dropping, and staying connected.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sleep } from '../lib/browser.mjs';
import { CONCURRENCY, useFixture } from '../lib/fixture.mjs';

const fx = useFixture();

const HOLD_MS = 30000;

describe('two tabs in one meeting', { concurrency: CONCURRENCY }, () => {
  // First, so that it runs beside the others.
  test(`both stay connected for ${HOLD_MS / 1000} s without reconnecting`, { timeout: 120000 }, async (t) => {
    const { members } = await fx.joinedMeeting(t, ['alice', 'bob']);
    await sleep(HOLD_MS);
    for (const { tab } of members) {
      const events = await tab.events();
      const reconnects = events.filter((e) => e.kind === 'didStartConnecting' && e.reconnecting);
      assert.deepEqual(reconnects, [], `${tab.name} reconnected:\n${await tab.diagnostics()}`);
      const stops = events.filter((e) => e.kind === 'didStop');
      assert.deepEqual(stops, [], `${tab.name} stopped:\n${await tab.diagnostics()}`);
      const absences = events.filter((e) => e.kind === 'presence' && !e.present);
      assert.deepEqual(absences, [], `${tab.name} saw someone leave:\n${await tab.diagnostics()}`);
      assert.equal(events.filter((e) => e.kind === 'socketOpened').length, 1,
        `${tab.name} opened more than one signaling connection`);
    }
  });

  test('both reach audioVideoDidStart and see themselves and each other present', { timeout: 90000 }, async (t) => {
    // A presence timeout makes the SDK wait for its own presence before it starts.
    const { members } = await fx.joinedMeeting(t, ['alice', 'bob'], { attendeePresenceTimeoutMs: 15000 });
    for (const viewer of members) {
      for (const subject of members) {
        const seen = await viewer.tab.waitFor('presence', { attendeeId: subject.attendeeId, present: true });
        assert.equal(seen.externalUserId, subject.externalUserId,
          `${viewer.name} sees ${subject.name}'s external user id`);
      }
      const starts = (await viewer.tab.events()).filter((e) => e.kind === 'didStart');
      assert.equal(starts.length, 1, `${viewer.name} started once`);
    }
  });

  test('data messages reach the other tab, with the sender\'s ids, and are not echoed', { timeout: 90000 }, async (t) => {
    const { members: [alice, bob] } = await fx.joinedMeeting(t, ['alice', 'bob']);
    for (const [from, to] of [[alice, bob], [bob, alice]]) {
      const text = `hello from ${from.name} to ${to.name}`;
      await from.tab.sendData('test', text);
      const received = await to.tab.waitFor('data', { topic: 'test', text });
      assert.equal(received.senderAttendeeId, from.attendeeId);
      assert.equal(received.senderExternalUserId, from.externalUserId);
      assert.equal(received.throttled, false);
      assert.ok(received.timestampMs > 0, `timestamp ${received.timestampMs}`);
    }
    // Time for a stray echo or duplicate to arrive.
    await sleep(1500);
    for (const member of [alice, bob]) {
      const data = await member.tab.eventsOf('data');
      assert.equal(data.length, 1, `${member.name} received exactly the one message sent to it: ${JSON.stringify(data)}`);
      assert.notEqual(data[0].senderAttendeeId, member.attendeeId, `${member.name} got its own message back`);
    }
  });

  test('the other tab sees the mute indicator follow mute and unmute', { timeout: 90000 }, async (t) => {
    const { members: [alice, bob] } = await fx.joinedMeeting(t, ['alice', 'bob']);
    await bob.tab.waitFor('presence', { attendeeId: alice.attendeeId, present: true });
    const beforeMute = await bob.tab.now();
    await alice.tab.mute();
    await bob.tab.waitFor('volume', { attendeeId: alice.attendeeId, muted: true }, { since: beforeMute });
    const beforeUnmute = await bob.tab.now();
    assert.equal(await alice.tab.unmute(), true, 'realtimeUnmuteLocalAudio');
    await bob.tab.waitFor('volume', { attendeeId: alice.attendeeId, muted: false }, { since: beforeUnmute });
  });

  test('stop(): the tab stops with Left and the other sees it leave (not dropped)', { timeout: 90000 }, async (t) => {
    const { members: [alice, bob] } = await fx.joinedMeeting(t, ['alice', 'bob']);
    await alice.tab.waitFor('presence', { attendeeId: bob.attendeeId, present: true });
    await bob.tab.stop();
    await bob.tab.waitFor('didStop', { code: 'Left' });
    const left = await alice.tab.waitFor('presence', { attendeeId: bob.attendeeId, present: false });
    assert.equal(left.dropped, false, `bob left, not dropped: ${JSON.stringify(left)}`);
    const aliceStops = await alice.tab.eventsOf('didStop');
    assert.deepEqual(aliceStops, [], 'alice stays in the meeting');
  });

  test('a closed tab: the other sees it dropped', { timeout: 90000 }, async (t) => {
    const { members: [alice, bob] } = await fx.joinedMeeting(t, ['alice', 'bob']);
    await alice.tab.waitFor('presence', { attendeeId: bob.attendeeId, present: true });
    await bob.tab.close();
    const gone = await alice.tab.waitFor('presence', { attendeeId: bob.attendeeId, present: false }, { timeout: 30000 });
    assert.equal(gone.dropped, true, `bob dropped: ${JSON.stringify(gone)}`);
  });
});
