// Every list member of every output of both APIs, when it has nothing in it: always present, as
// an empty list, so that app code written against AWS (`Meeting.TenantIds.length`,
// `response.Errors.forEach(...)`) works unguarded. AWS documents neither form; answers dumped
// by users show `"TenantIds": []`, and an empty list is what a careful reader of a real answer
// expects (ARCHITECTURE.md, "Behaviours chosen where AWS documents none").
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as current from '@aws-sdk/client-chime-sdk-meetings';
import * as legacy from '@aws-sdk/client-chime';
import { startCarillon } from '../lib/carillon.mjs';
import { EXAMPLE, credentialsArgs, legacyClient, meetingArn, meetingsClient, unique } from '../lib/clients.mjs';

// Capabilities a meeting without video refuses, so that every attendee of a batch is refused.
const WITH_VIDEO = { Audio: 'SendReceive', Video: 'SendReceive', Content: 'None' };
const NO_VIDEO = { Video: { MaxResolution: 'None' } };

// An account that creates no meetings, for the empty ListMeetings.
const IDLE = { accessKeyId: 'AKIDNOMEETINGS', secretAccessKey: 'no-meetings', accountId: '333333333333' };

let server;
let meetings;
let chime;

before(async () => {
  server = await startCarillon(['--quotas', 'off', ...credentialsArgs(EXAMPLE, IDLE)]);
  meetings = meetingsClient(server);
  chime = legacyClient(server);
});

after(async () => {
  meetings?.destroy();
  chime?.destroy();
  await server?.stop();
});

function assertEmptyList(value, member) {
  assert.ok(Array.isArray(value), `${member} is ${JSON.stringify(value)}, not a list`);
  assert.equal(value.length, 0, `${member} is not empty`);
}

describe('current API', () => {
  function createMeeting(members = {}) {
    return meetings.send(new current.CreateMeetingCommand({
      ClientRequestToken: unique('token'),
      MediaRegion: 'us-east-1',
      ExternalMeetingId: unique('meeting'),
      ...members,
    }));
  }

  test('Meeting.TenantIds of CreateMeeting, GetMeeting and CreateMeetingWithAttendees', async () => {
    const { Meeting } = await createMeeting();
    assertEmptyList(Meeting.TenantIds, 'CreateMeeting Meeting.TenantIds');
    const got = await meetings.send(new current.GetMeetingCommand({ MeetingId: Meeting.MeetingId }));
    assertEmptyList(got.Meeting.TenantIds, 'GetMeeting Meeting.TenantIds');
    const withAttendees = await meetings.send(new current.CreateMeetingWithAttendeesCommand({
      ClientRequestToken: unique('token'),
      MediaRegion: 'us-east-1',
      ExternalMeetingId: unique('meeting'),
      Attendees: [{ ExternalUserId: 'alice-1' }],
    }));
    assertEmptyList(withAttendees.Meeting.TenantIds, 'CreateMeetingWithAttendees Meeting.TenantIds');
    assert.deepEqual((await createMeeting({ TenantIds: ['tenant-a'] })).Meeting.TenantIds, ['tenant-a']);
  });

  test('Attendees and Errors of CreateMeetingWithAttendees', async () => {
    const none = await meetings.send(new current.CreateMeetingWithAttendeesCommand({
      ClientRequestToken: unique('token'),
      MediaRegion: 'us-east-1',
      ExternalMeetingId: unique('meeting'),
      Attendees: [{ ExternalUserId: 'alice-1' }],
    }));
    assertEmptyList(none.Errors, 'CreateMeetingWithAttendees Errors');
    const allRefused = await meetings.send(new current.CreateMeetingWithAttendeesCommand({
      ClientRequestToken: unique('token'),
      MediaRegion: 'us-east-1',
      ExternalMeetingId: unique('meeting'),
      MeetingFeatures: NO_VIDEO,
      Attendees: [{ ExternalUserId: 'alice-1', Capabilities: WITH_VIDEO }],
    }));
    assertEmptyList(allRefused.Attendees, 'CreateMeetingWithAttendees Attendees');
    assert.equal(allRefused.Errors.length, 1);
  });

  test('Attendees and Errors of BatchCreateAttendee', async () => {
    const { Meeting } = await createMeeting({ MeetingFeatures: NO_VIDEO });
    const none = await meetings.send(new current.BatchCreateAttendeeCommand({
      MeetingId: Meeting.MeetingId,
      Attendees: [{ ExternalUserId: 'alice-1' }],
    }));
    assertEmptyList(none.Errors, 'BatchCreateAttendee Errors');
    const allRefused = await meetings.send(new current.BatchCreateAttendeeCommand({
      MeetingId: Meeting.MeetingId,
      Attendees: [{ ExternalUserId: 'bob-1', Capabilities: WITH_VIDEO }],
    }));
    assertEmptyList(allRefused.Attendees, 'BatchCreateAttendee Attendees');
    assert.equal(allRefused.Errors.length, 1);
  });

  test('Attendees of ListAttendees and Tags of ListTagsForResource', async () => {
    const { Meeting } = await createMeeting();
    const listed = await meetings.send(new current.ListAttendeesCommand({ MeetingId: Meeting.MeetingId }));
    assertEmptyList(listed.Attendees, 'ListAttendees Attendees');
    const tagged = await meetings.send(new current.ListTagsForResourceCommand({ ResourceARN: Meeting.MeetingArn }));
    assertEmptyList(tagged.Tags, 'ListTagsForResource Tags');
  });
});

describe('legacy API', () => {
  test('the legacy Meeting shape has no TenantIds', async () => {
    const { Meeting } = await chime.send(new legacy.CreateMeetingCommand({}));
    assert.equal('TenantIds' in Meeting, false);
    const { Meetings } = await chime.send(new legacy.ListMeetingsCommand({}));
    assert.ok(Meetings.every((m) => !('TenantIds' in m)));
  });

  test('Attendees and Errors of CreateMeetingWithAttendees', async () => {
    const alone = await chime.send(new legacy.CreateMeetingWithAttendeesCommand({}));
    assertEmptyList(alone.Attendees, 'CreateMeetingWithAttendees Attendees');
    assertEmptyList(alone.Errors, 'CreateMeetingWithAttendees Errors');
  });

  test('Attendees and Errors of BatchCreateAttendee', async () => {
    const { Meeting } = await chime.send(new legacy.CreateMeetingCommand({}));
    // Fill the meeting to its 250 attendees, so that the next batch is refused whole.
    for (const start of [0, 100, 200]) {
      const count = start === 200 ? 50 : 100;
      const batch = await chime.send(new legacy.BatchCreateAttendeeCommand({
        MeetingId: Meeting.MeetingId,
        Attendees: Array.from({ length: count }, (_, i) => ({ ExternalUserId: `user-${start + i}` })),
      }));
      assertEmptyList(batch.Errors, 'BatchCreateAttendee Errors');
    }
    const refused = await chime.send(new legacy.BatchCreateAttendeeCommand({
      MeetingId: Meeting.MeetingId,
      Attendees: [{ ExternalUserId: 'one-more' }],
    }));
    assertEmptyList(refused.Attendees, 'BatchCreateAttendee Attendees');
    assert.equal(refused.Errors.length, 1);
  });

  test('Meetings of ListMeetings, for an account without meetings', async () => {
    const idle = legacyClient(server, { credentials: IDLE });
    try {
      assertEmptyList((await idle.send(new legacy.ListMeetingsCommand({}))).Meetings, 'ListMeetings Meetings');
    } finally {
      idle.destroy();
    }
  });

  test('Attendees of ListAttendees; Tags of ListMeetingTags, ListAttendeeTags and ListTagsForResource', async () => {
    const { Meeting } = await chime.send(new legacy.CreateMeetingCommand({}));
    const meetingId = Meeting.MeetingId;
    const attendees = await chime.send(new legacy.ListAttendeesCommand({ MeetingId: meetingId }));
    assertEmptyList(attendees.Attendees, 'ListAttendees Attendees');
    const meetingTags = await chime.send(new legacy.ListMeetingTagsCommand({ MeetingId: meetingId }));
    assertEmptyList(meetingTags.Tags, 'ListMeetingTags Tags');
    const byArn = await chime.send(new legacy.ListTagsForResourceCommand({ ResourceARN: meetingArn(meetingId) }));
    assertEmptyList(byArn.Tags, 'ListTagsForResource Tags');
    const { Attendee } = await chime.send(new legacy.CreateAttendeeCommand({ MeetingId: meetingId, ExternalUserId: 'alice-1' }));
    const attendeeTags = await chime.send(new legacy.ListAttendeeTagsCommand({
      MeetingId: meetingId,
      AttendeeId: Attendee.AttendeeId,
    }));
    assertEmptyList(attendeeTags.Tags, 'ListAttendeeTags Tags');
  });
});
