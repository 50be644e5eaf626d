// A meeting created through the legacy Amazon Chime API (`chime` CreateMeetingWithAttendees, on
// the legacy port) is joined by the Chime SDK for JavaScript just like a current one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLegacyMeetingWithAttendees } from '../lib/carillon.mjs';
import { START_TIMEOUT_MS, useFixture } from '../lib/fixture.mjs';

const fx = useFixture();

test('two tabs join a meeting made by the legacy CreateMeetingWithAttendees', { timeout: 90000 }, async (t) => {
  const { meeting, attendees } = await createLegacyMeetingWithAttendees(fx.server, [
    `alice-${Date.now()}`,
    `bob-${Date.now()}`,
  ]);
  assert.equal(attendees.length, 2);
  const members = await Promise.all(attendees.map(async (attendee, index) => ({
    attendee,
    attendeeId: attendee.Attendee.AttendeeId,
    externalUserId: attendee.Attendee.ExternalUserId,
    tab: await fx.openTab(t, index === 0 ? 'alice' : 'bob'),
  })));
  await Promise.all(members.map(async ({ tab, attendee }) => {
    await tab.join(meeting, attendee, { attendeePresenceTimeoutMs: 15000 });
    await tab.waitFor('didStart', {}, { timeout: START_TIMEOUT_MS });
  }));
  for (const viewer of members) {
    for (const subject of members) {
      const seen = await viewer.tab.waitFor('presence', { attendeeId: subject.attendeeId, present: true });
      assert.equal(seen.externalUserId, subject.externalUserId);
    }
  }
  const [alice, bob] = members;
  await alice.tab.sendData('test', 'over the legacy meeting');
  const received = await bob.tab.waitFor('data', { topic: 'test', text: 'over the legacy meeting' });
  assert.equal(received.senderAttendeeId, alice.attendeeId);
});
