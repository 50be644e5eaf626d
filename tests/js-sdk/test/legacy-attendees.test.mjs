// The legacy API's attendee operations (CreateAttendee, BatchCreateAttendee, GetAttendee,
// ListAttendees, DeleteAttendee) through @aws-sdk/client-chime, and the errors a real condition
// gives them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BatchCreateAttendeeCommand,
  CreateAttendeeCommand,
  CreateMeetingCommand,
  DeleteAttendeeCommand,
  GetAttendeeCommand,
  ListAttendeesCommand,
} from '@aws-sdk/client-chime';
import { serverWith } from '../lib/carillon.mjs';
import { MISSING_ID, legacyClient } from '../lib/clients.mjs';
import { rejectsWith } from '../lib/expect.mjs';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MEETING_NOT_FOUND = {
  name: 'NotFoundException',
  status: 404,
  message: `Meeting <${MISSING_ID}> not found`,
};
// The attendee cap of a legacy meeting (AWS's 250; the legacy API has no MeetingFeatures).
const MAX_ATTENDEES = 250;

const fx = serverWith(legacyClient);

async function newMeeting() {
  return (await fx.chime.send(new CreateMeetingCommand({}))).Meeting.MeetingId;
}

function createAttendee(MeetingId, ExternalUserId) {
  return fx.chime.send(new CreateAttendeeCommand({ MeetingId, ExternalUserId }));
}

// The legacy Attendee shape: no Capabilities.
function assertLegacyAttendee(attendee) {
  assert.deepEqual(Object.keys(attendee).sort(), ['AttendeeId', 'ExternalUserId', 'JoinToken']);
  assert.match(attendee.AttendeeId, GUID);
  assert.match(attendee.JoinToken, /^[a-zA-Z0-9+/]+$/);
}

describe('CreateAttendee, GetAttendee, DeleteAttendee', () => {
  test('201 with the legacy attendee; the same ExternalUserId returns it; GetAttendee too', async () => {
    const meetingId = await newMeeting();
    const created = await createAttendee(meetingId, 'alice-1');
    assert.equal(created.$metadata.httpStatusCode, 201);
    assertLegacyAttendee(created.Attendee);
    assert.deepEqual((await createAttendee(meetingId, 'alice-1')).Attendee, created.Attendee);
    const got = await fx.chime.send(new GetAttendeeCommand({ MeetingId: meetingId, AttendeeId: created.Attendee.AttendeeId }));
    assert.equal(got.$metadata.httpStatusCode, 200);
    assert.deepEqual(got.Attendee, created.Attendee);
  });

  test('DeleteAttendee answers 204; the attendee is then NotFoundException', async () => {
    const meetingId = await newMeeting();
    const { Attendee } = await createAttendee(meetingId, 'alice-1');
    const ids = { MeetingId: meetingId, AttendeeId: Attendee.AttendeeId };
    assert.equal((await fx.chime.send(new DeleteAttendeeCommand(ids))).$metadata.httpStatusCode, 204);
    const gone = { name: 'NotFoundException', status: 404, message: `Attendee <${Attendee.AttendeeId}> not found` };
    await rejectsWith(fx.chime.send(new GetAttendeeCommand(ids)), gone);
    await rejectsWith(fx.chime.send(new DeleteAttendeeCommand(ids)), gone);
  });

  test('NotFoundException for an unknown meeting', async () => {
    await rejectsWith(createAttendee(MISSING_ID, 'alice-1'), MEETING_NOT_FOUND);
    const ids = { MeetingId: MISSING_ID, AttendeeId: MISSING_ID };
    await rejectsWith(fx.chime.send(new GetAttendeeCommand(ids)), MEETING_NOT_FOUND);
    await rejectsWith(fx.chime.send(new DeleteAttendeeCommand(ids)), MEETING_NOT_FOUND);
  });

  test('BadRequestException for an ExternalUserId or id the service refuses', async () => {
    const meetingId = await newMeeting();
    await rejectsWith(createAttendee(meetingId, 'a'), {
      name: 'BadRequestException',
      status: 400,
      message: "1 validation error detected: Value at 'ExternalUserId' failed to satisfy constraint: Member must have length greater than or equal to 2",
    });
    await rejectsWith(fx.chime.send(new GetAttendeeCommand({ MeetingId: meetingId, AttendeeId: 'someone' })), {
      name: 'BadRequestException',
      status: 400,
      message: /^1 validation error detected: Value at 'AttendeeId' failed to satisfy constraint/,
    });
  });
});

describe('BatchCreateAttendee and the attendee cap', () => {
  test('250 attendees, then ResourceLimitExceededException, and ResourceLimitExceeded in a batch\'s Errors', async () => {
    const meetingId = await newMeeting();
    let created = 0;
    for (const [start, count] of [[0, 100], [100, 100], [200, 50]]) {
      const response = await fx.chime.send(new BatchCreateAttendeeCommand({
        MeetingId: meetingId,
        Attendees: Array.from({ length: count }, (_, i) => ({ ExternalUserId: `user-${start + i}` })),
      }));
      assert.equal(response.$metadata.httpStatusCode, 201);
      assert.deepEqual(response.Errors, []);
      response.Attendees.forEach(assertLegacyAttendee);
      created += response.Attendees.length;
    }
    assert.equal(created, MAX_ATTENDEES);

    await rejectsWith(createAttendee(meetingId, 'one-more'), {
      name: 'ResourceLimitExceededException',
      status: 400,
      message: `The meeting <${meetingId}> already has its maximum number of attendees (${MAX_ATTENDEES})`,
    });
    const batch = await fx.chime.send(new BatchCreateAttendeeCommand({
      MeetingId: meetingId,
      Attendees: [{ ExternalUserId: 'one-more' }],
    }));
    assert.deepEqual(batch.Attendees, []);
    assert.deepEqual(batch.Errors, [{
      ExternalUserId: 'one-more',
      ErrorCode: 'ResourceLimitExceeded',
      ErrorMessage: `The meeting <${meetingId}> already has its maximum number of attendees (${MAX_ATTENDEES})`,
    }]);
  });

  test('NotFoundException and BadRequestException', async () => {
    await rejectsWith(fx.chime.send(new BatchCreateAttendeeCommand({
      MeetingId: MISSING_ID,
      Attendees: [{ ExternalUserId: 'alice-1' }],
    })), MEETING_NOT_FOUND);
    const meetingId = await newMeeting();
    await rejectsWith(fx.chime.send(new BatchCreateAttendeeCommand({
      MeetingId: meetingId,
      Attendees: Array.from({ length: 101 }, (_, i) => ({ ExternalUserId: `user-${i}` })),
    })), {
      name: 'BadRequestException',
      status: 400,
      message: "1 validation error detected: Value at 'Attendees' failed to satisfy constraint: Member must have length less than or equal to 100",
    });
  });
});

describe('ListAttendees', () => {
  test('an empty Attendees list, then pages in creation order', async () => {
    const meetingId = await newMeeting();
    const empty = await fx.chime.send(new ListAttendeesCommand({ MeetingId: meetingId }));
    assert.equal(empty.$metadata.httpStatusCode, 200);
    assert.deepEqual(empty.Attendees, []);
    const users = ['u-1', 'u-2', 'u-3'];
    for (const user of users) await createAttendee(meetingId, user);
    const first = await fx.chime.send(new ListAttendeesCommand({ MeetingId: meetingId, MaxResults: 2 }));
    const second = await fx.chime.send(new ListAttendeesCommand({
      MeetingId: meetingId,
      MaxResults: 2,
      NextToken: first.NextToken,
    }));
    assert.equal(second.NextToken, undefined);
    const listed = [...first.Attendees, ...second.Attendees];
    listed.forEach(assertLegacyAttendee);
    assert.deepEqual(listed.map((a) => a.ExternalUserId), users);
  });

  test('NotFoundException and BadRequestException', async () => {
    await rejectsWith(fx.chime.send(new ListAttendeesCommand({ MeetingId: MISSING_ID })), MEETING_NOT_FOUND);
    const meetingId = await newMeeting();
    await rejectsWith(fx.chime.send(new ListAttendeesCommand({ MeetingId: meetingId, NextToken: 'not-a-token' })), {
      name: 'BadRequestException',
      status: 400,
      message: 'The NextToken is not valid for this request',
    });
  });
});
