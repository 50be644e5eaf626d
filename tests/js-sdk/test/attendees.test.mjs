// The attendee operations of the current API (CreateAttendee, BatchCreateAttendee, GetAttendee,
// ListAttendees, DeleteAttendee, UpdateAttendeeCapabilities,
// BatchUpdateAttendeeCapabilitiesExcept) and the errors a real condition gives them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BatchCreateAttendeeCommand,
  BatchUpdateAttendeeCapabilitiesExceptCommand,
  CreateAttendeeCommand,
  CreateMeetingCommand,
  DeleteAttendeeCommand,
  DeleteMeetingCommand,
  GetAttendeeCommand,
  ListAttendeesCommand,
  UpdateAttendeeCapabilitiesCommand,
} from '@aws-sdk/client-chime-sdk-meetings';
import { serverWith } from '../lib/carillon.mjs';
import { MISSING_ID, meetingsClient, unique } from '../lib/clients.mjs';
import { rejectsWith } from '../lib/expect.mjs';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SEND_RECEIVE = { Audio: 'SendReceive', Video: 'SendReceive', Content: 'SendReceive' };
const LISTEN_ONLY = { Audio: 'Receive', Video: 'None', Content: 'None' };
const MEETING_NOT_FOUND = {
  name: 'NotFoundException',
  status: 404,
  message: `Meeting <${MISSING_ID}> not found`,
};
const NOT_A_GUID = {
  name: 'BadRequestException',
  status: 400,
  message: /failed to satisfy constraint/,
};

const fx = serverWith(meetingsClient);

async function newMeeting(features) {
  const { Meeting } = await fx.chime.send(new CreateMeetingCommand({
    ClientRequestToken: unique('token'),
    MediaRegion: 'us-east-1',
    ExternalMeetingId: unique('meeting'),
    MeetingFeatures: features,
  }));
  return Meeting.MeetingId;
}

function createAttendee(meetingId, externalUserId, capabilities) {
  return fx.chime.send(new CreateAttendeeCommand({
    MeetingId: meetingId,
    ExternalUserId: externalUserId,
    Capabilities: capabilities,
  }));
}

// The AttendeeId, ExternalUserId and JoinToken pair a JoinToken is made of.
function assertJoinToken(attendee) {
  const decoded = Buffer.from(attendee.JoinToken, 'base64').toString('ascii');
  assert.match(decoded, new RegExp(`^${attendee.AttendeeId}:[0-9a-f-]{36}$`));
  assert.doesNotMatch(attendee.JoinToken, /[=+/]/);
}

describe('CreateAttendee', () => {
  test('creates an attendee with a JoinToken and default capabilities; the same ExternalUserId returns it', async () => {
    const meetingId = await newMeeting();
    const response = await createAttendee(meetingId, 'alice-1');
    assert.equal(response.$metadata.httpStatusCode, 200);
    const attendee = response.Attendee;
    assert.match(attendee.AttendeeId, GUID);
    assert.equal(attendee.ExternalUserId, 'alice-1');
    assert.deepEqual(attendee.Capabilities, SEND_RECEIVE);
    assertJoinToken(attendee);
    const again = await createAttendee(meetingId, 'alice-1', LISTEN_ONLY);
    assert.deepEqual(again.Attendee, attendee);
  });

  test('NotFoundException in a meeting that does not exist', async () => {
    await rejectsWith(createAttendee(MISSING_ID, 'alice-1'), MEETING_NOT_FOUND);
  });

  test('BadRequestException for an ExternalUserId or capabilities the service refuses', async () => {
    const meetingId = await newMeeting({ Video: { MaxResolution: 'None' } });
    await rejectsWith(createAttendee(meetingId, 'a'), {
      name: 'BadRequestException',
      status: 400,
      message: "1 validation error detected: Value at 'ExternalUserId' failed to satisfy constraint: Member must have length greater than or equal to 2",
    });
    await rejectsWith(createAttendee(meetingId, 'aws:someone'), {
      name: 'BadRequestException',
      status: 400,
      message: "1 validation error detected: Value at 'ExternalUserId' failed to satisfy constraint: Member must not begin with the reserved prefix aws:",
    });
    await rejectsWith(createAttendee(meetingId, 'video-1', SEND_RECEIVE), {
      name: 'BadRequestException',
      status: 400,
      message: "Capabilities.Video must be None because the meeting's MeetingFeatures.Video.MaxResolution is None",
    });
  });

  test('LimitExceededException past the meeting\'s attendee cap', async () => {
    const meetingId = await newMeeting({ Attendee: { MaxCount: 1 } });
    await createAttendee(meetingId, 'first-1');
    await rejectsWith(createAttendee(meetingId, 'second-1'), {
      name: 'LimitExceededException',
      status: 400,
      message: `The meeting <${meetingId}> already has its maximum number of attendees (1)`,
    });
  });
});

describe('BatchCreateAttendee', () => {
  test('creates the attendees in order, with an empty Errors list', async () => {
    const meetingId = await newMeeting();
    const response = await fx.chime.send(new BatchCreateAttendeeCommand({
      MeetingId: meetingId,
      Attendees: [{ ExternalUserId: 'alice-1' }, { ExternalUserId: 'bob-1', Capabilities: LISTEN_ONLY }],
    }));
    assert.equal(response.$metadata.httpStatusCode, 200);
    assert.deepEqual(response.Attendees.map((a) => [a.ExternalUserId, a.Capabilities]),
      [['alice-1', SEND_RECEIVE], ['bob-1', LISTEN_ONLY]]);
    response.Attendees.forEach(assertJoinToken);
    assert.deepEqual(response.Errors, []);
  });

  test('reports attendees past the cap in Errors, with HTTP 200', async () => {
    const meetingId = await newMeeting({ Attendee: { MaxCount: 2 } });
    const response = await fx.chime.send(new BatchCreateAttendeeCommand({
      MeetingId: meetingId,
      Attendees: ['u-1', 'u-2', 'u-3'].map((ExternalUserId) => ({ ExternalUserId })),
    }));
    assert.deepEqual(response.Attendees.map((a) => a.ExternalUserId), ['u-1', 'u-2']);
    assert.deepEqual(response.Errors, [{
      ExternalUserId: 'u-3',
      ErrorCode: 'LimitExceeded',
      ErrorMessage: `The meeting <${meetingId}> already has its maximum number of attendees (2)`,
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

describe('GetAttendee, ListAttendees, DeleteAttendee', () => {
  test('GetAttendee returns what CreateAttendee returned', async () => {
    const meetingId = await newMeeting();
    const { Attendee } = await createAttendee(meetingId, 'alice-1');
    const got = await fx.chime.send(new GetAttendeeCommand({ MeetingId: meetingId, AttendeeId: Attendee.AttendeeId }));
    assert.equal(got.$metadata.httpStatusCode, 200);
    assert.deepEqual(got.Attendee, Attendee);
  });

  test('ListAttendees pages with MaxResults and NextToken, and lists none as an empty list', async () => {
    const meetingId = await newMeeting();
    const empty = await fx.chime.send(new ListAttendeesCommand({ MeetingId: meetingId }));
    assert.deepEqual(empty.Attendees, []);
    assert.equal(empty.NextToken, undefined);

    const users = ['u-1', 'u-2', 'u-3'];
    for (const user of users) await createAttendee(meetingId, user);
    const first = await fx.chime.send(new ListAttendeesCommand({ MeetingId: meetingId, MaxResults: 2 }));
    assert.equal(first.Attendees.length, 2);
    assert.ok(first.NextToken);
    const second = await fx.chime.send(new ListAttendeesCommand({
      MeetingId: meetingId,
      MaxResults: 2,
      NextToken: first.NextToken,
    }));
    assert.equal(second.NextToken, undefined);
    assert.deepEqual([...first.Attendees, ...second.Attendees].map((a) => a.ExternalUserId), users);
  });

  test('DeleteAttendee answers 204; the attendee is then NotFoundException', async () => {
    const meetingId = await newMeeting();
    const { Attendee } = await createAttendee(meetingId, 'alice-1');
    const ids = { MeetingId: meetingId, AttendeeId: Attendee.AttendeeId };
    const deleted = await fx.chime.send(new DeleteAttendeeCommand(ids));
    assert.equal(deleted.$metadata.httpStatusCode, 204);
    const gone = { name: 'NotFoundException', status: 404, message: `Attendee <${Attendee.AttendeeId}> not found` };
    await rejectsWith(fx.chime.send(new GetAttendeeCommand(ids)), gone);
    await rejectsWith(fx.chime.send(new DeleteAttendeeCommand(ids)), gone);
    assert.deepEqual((await fx.chime.send(new ListAttendeesCommand({ MeetingId: meetingId }))).Attendees, []);
  });

  test('NotFoundException for an unknown meeting or attendee', async () => {
    const unknownMeeting = { MeetingId: MISSING_ID, AttendeeId: MISSING_ID };
    await rejectsWith(fx.chime.send(new GetAttendeeCommand(unknownMeeting)), MEETING_NOT_FOUND);
    await rejectsWith(fx.chime.send(new DeleteAttendeeCommand(unknownMeeting)), MEETING_NOT_FOUND);
    await rejectsWith(fx.chime.send(new ListAttendeesCommand({ MeetingId: MISSING_ID })), MEETING_NOT_FOUND);
    const meetingId = await newMeeting();
    await rejectsWith(fx.chime.send(new GetAttendeeCommand({ MeetingId: meetingId, AttendeeId: MISSING_ID })), {
      name: 'NotFoundException',
      status: 404,
      message: `Attendee <${MISSING_ID}> not found`,
    });
  });

  test('BadRequestException for ids that are not GUIDs, or a NextToken of nothing', async () => {
    const meetingId = await newMeeting();
    await rejectsWith(fx.chime.send(new GetAttendeeCommand({ MeetingId: meetingId, AttendeeId: 'someone' })), NOT_A_GUID);
    await rejectsWith(fx.chime.send(new DeleteAttendeeCommand({ MeetingId: meetingId, AttendeeId: 'someone' })), NOT_A_GUID);
    await rejectsWith(fx.chime.send(new ListAttendeesCommand({ MeetingId: 'a-meeting' })), NOT_A_GUID);
    await rejectsWith(fx.chime.send(new ListAttendeesCommand({ MeetingId: meetingId, NextToken: 'not-a-token' })), {
      name: 'BadRequestException',
      status: 400,
      message: 'The NextToken is not valid for this request',
    });
  });
});

describe('UpdateAttendeeCapabilities', () => {
  test('returns the attendee with its new capabilities', async () => {
    const meetingId = await newMeeting();
    const { Attendee } = await createAttendee(meetingId, 'alice-1');
    const response = await fx.chime.send(new UpdateAttendeeCapabilitiesCommand({
      MeetingId: meetingId,
      AttendeeId: Attendee.AttendeeId,
      Capabilities: LISTEN_ONLY,
    }));
    assert.equal(response.$metadata.httpStatusCode, 200);
    assert.deepEqual(response.Attendee, { ...Attendee, Capabilities: LISTEN_ONLY });
  });

  test('NotFoundException and BadRequestException', async () => {
    const update = (MeetingId, AttendeeId, Capabilities = LISTEN_ONLY) =>
      fx.chime.send(new UpdateAttendeeCapabilitiesCommand({ MeetingId, AttendeeId, Capabilities }));
    await rejectsWith(update(MISSING_ID, MISSING_ID), MEETING_NOT_FOUND);
    const meetingId = await newMeeting({ Content: { MaxResolution: 'None' } });
    await rejectsWith(update(meetingId, MISSING_ID), {
      name: 'NotFoundException',
      status: 404,
      message: `Attendee <${MISSING_ID}> not found`,
    });
    const { Attendee } = await createAttendee(meetingId, 'alice-1');
    await rejectsWith(update(meetingId, Attendee.AttendeeId, SEND_RECEIVE), {
      name: 'BadRequestException',
      status: 400,
      message: "Capabilities.Content must be None because the meeting's MeetingFeatures.Content.MaxResolution is None",
    });
    await rejectsWith(update(meetingId, Attendee.AttendeeId, { Audio: 'Loud', Video: 'None', Content: 'None' }), {
      name: 'BadRequestException',
      status: 400,
      message: "1 validation error detected: Value at 'Capabilities.Audio' failed to satisfy constraint: Member must satisfy enum value set: [SendReceive, Send, Receive, None]",
    });
  });
});

describe('BatchUpdateAttendeeCapabilitiesExcept', () => {
  test('updates every attendee but the excluded ones', async () => {
    const meetingId = await newMeeting();
    const host = (await createAttendee(meetingId, 'host-1')).Attendee;
    await createAttendee(meetingId, 'guest-1');
    await createAttendee(meetingId, 'guest-2');
    const response = await fx.chime.send(new BatchUpdateAttendeeCapabilitiesExceptCommand({
      MeetingId: meetingId,
      ExcludedAttendeeIds: [{ AttendeeId: host.AttendeeId }],
      Capabilities: LISTEN_ONLY,
    }));
    assert.equal(response.$metadata.httpStatusCode, 200);
    const { Attendees } = await fx.chime.send(new ListAttendeesCommand({ MeetingId: meetingId }));
    assert.deepEqual(Object.fromEntries(Attendees.map((a) => [a.ExternalUserId, a.Capabilities])), {
      'host-1': SEND_RECEIVE,
      'guest-1': LISTEN_ONLY,
      'guest-2': LISTEN_ONLY,
    });
  });

  test('NotFoundException and BadRequestException', async () => {
    const updateExcept = (MeetingId, Capabilities = LISTEN_ONLY) =>
      fx.chime.send(new BatchUpdateAttendeeCapabilitiesExceptCommand({
        MeetingId,
        ExcludedAttendeeIds: [{ AttendeeId: MISSING_ID }],
        Capabilities,
      }));
    await rejectsWith(updateExcept(MISSING_ID), MEETING_NOT_FOUND);
    const meetingId = await newMeeting();
    await rejectsWith(updateExcept(meetingId, { Audio: 'SendReceive', Video: 'None', Content: 'SendReceive' }), {
      name: 'BadRequestException',
      status: 400,
      message: 'Capabilities.Content can be SendReceive or Receive only when Capabilities.Video is SendReceive or Receive',
    });
    await fx.chime.send(new DeleteMeetingCommand({ MeetingId: meetingId }));
    await rejectsWith(updateExcept(meetingId), {
      name: 'NotFoundException',
      status: 404,
      message: `Meeting <${meetingId}> not found`,
    });
  });
});
