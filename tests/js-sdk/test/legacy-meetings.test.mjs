// The legacy `chime` meeting API through @aws-sdk/client-chime 3.699.0 (among the last releases
// with its meeting operations): CreateMeeting, CreateMeetingWithAttendees, GetMeeting,
// ListMeetings, DeleteMeeting, StartMeetingTranscription, StopMeetingTranscription, and the errors
// a real condition gives them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CreateMeetingCommand,
  CreateMeetingWithAttendeesCommand,
  DeleteMeetingCommand,
  GetMeetingCommand,
  ListMeetingsCommand,
  StartMeetingTranscriptionCommand,
  StopMeetingTranscriptionCommand,
} from '@aws-sdk/client-chime';
import { serverWith } from '../lib/carillon.mjs';
import { EXAMPLE, MISSING_ID, credentialsArgs, legacyClient, unique } from '../lib/clients.mjs';
import { rejectsWith } from '../lib/expect.mjs';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// The legacy Meeting shape's members: no MeetingArn, TenantIds, MeetingFeatures, ...
const LEGACY_MEETING_MEMBERS = ['ExternalMeetingId', 'MediaPlacement', 'MediaRegion', 'MeetingId'];
// An account of its own, with no meetings but those its test creates.
const LISTER = { accessKeyId: 'AKIDLEGACYLISTER', secretAccessKey: 'lister-secret', accountId: '210987654321' };

const fx = serverWith(
  legacyClient,
  ['--quotas', 'off', ...credentialsArgs(EXAMPLE, LISTER)],
);

function assertLegacyMeeting(meeting) {
  assert.match(meeting.MeetingId, GUID);
  assert.deepEqual(Object.keys(meeting).filter((k) => !LEGACY_MEETING_MEMBERS.includes(k)), []);
  const host = new URL(fx.server.endpoint).host;
  assert.equal(meeting.MediaPlacement.SignalingUrl, `ws://${host}/control/${meeting.MeetingId}`);
}

describe('CreateMeeting, GetMeeting, DeleteMeeting', () => {
  test('the SDK fills in the ClientRequestToken; MediaRegion defaults to us-east-1; 201', async () => {
    const response = await fx.chime.send(new CreateMeetingCommand({}));
    assert.equal(response.$metadata.httpStatusCode, 201);
    assertLegacyMeeting(response.Meeting);
    assert.equal(response.Meeting.MediaRegion, 'us-east-1');
    const got = await fx.chime.send(new GetMeetingCommand({ MeetingId: response.Meeting.MeetingId }));
    assert.equal(got.$metadata.httpStatusCode, 200);
    assert.deepEqual(got.Meeting, response.Meeting);
  });

  test('echoes ExternalMeetingId and MediaRegion; a repeated token answers the original meeting', async () => {
    const token = unique('token');
    const members = { ClientRequestToken: token, ExternalMeetingId: unique('standup'), MediaRegion: 'eu-west-2' };
    const { Meeting } = await fx.chime.send(new CreateMeetingCommand(members));
    assert.equal(Meeting.ExternalMeetingId, members.ExternalMeetingId);
    assert.equal(Meeting.MediaRegion, 'eu-west-2');
    const again = await fx.chime.send(new CreateMeetingCommand({ ...members, ExternalMeetingId: unique('other') }));
    assert.deepEqual(again.Meeting, Meeting);
  });

  test('DeleteMeeting answers 204; the meeting is then NotFoundException', async () => {
    const { Meeting } = await fx.chime.send(new CreateMeetingCommand({}));
    const deleted = await fx.chime.send(new DeleteMeetingCommand({ MeetingId: Meeting.MeetingId }));
    assert.equal(deleted.$metadata.httpStatusCode, 204);
    const notFound = { name: 'NotFoundException', status: 404, message: `Meeting <${Meeting.MeetingId}> not found` };
    await rejectsWith(fx.chime.send(new GetMeetingCommand({ MeetingId: Meeting.MeetingId })), notFound);
    await rejectsWith(fx.chime.send(new DeleteMeetingCommand({ MeetingId: Meeting.MeetingId })), notFound);
  });

  test('BadRequestException for what the service refuses', async () => {
    await rejectsWith(fx.chime.send(new CreateMeetingCommand({ MediaRegion: 'mars-north-1' })), {
      name: 'BadRequestException',
      status: 400,
      message: /^MediaRegion 'mars-north-1' is not a supported media region/,
    });
    await rejectsWith(fx.chime.send(new CreateMeetingCommand({ ExternalMeetingId: 'x' })), {
      name: 'BadRequestException',
      status: 400,
      message: "1 validation error detected: Value at 'ExternalMeetingId' failed to satisfy constraint: Member must have length greater than or equal to 2",
    });
    await rejectsWith(fx.chime.send(new GetMeetingCommand({ MeetingId: 'not-a-meeting' })), {
      name: 'BadRequestException',
      status: 400,
      message: /^1 validation error detected: Value at 'MeetingId' failed to satisfy constraint/,
    });
    await rejectsWith(fx.chime.send(new DeleteMeetingCommand({ MeetingId: 'not-a-meeting' })), {
      name: 'BadRequestException',
      status: 400,
      message: /^1 validation error detected: Value at 'MeetingId' failed to satisfy constraint/,
    });
  });
});

describe('CreateMeetingWithAttendees', () => {
  test('returns the meeting, the attendees in the legacy shape and an empty Errors list; 201', async () => {
    const response = await fx.chime.send(new CreateMeetingWithAttendeesCommand({
      ExternalMeetingId: unique('standup'),
      Attendees: [{ ExternalUserId: 'alice-1' }, { ExternalUserId: 'bob-1' }],
    }));
    assert.equal(response.$metadata.httpStatusCode, 201);
    assertLegacyMeeting(response.Meeting);
    assert.deepEqual(response.Attendees.map((a) => a.ExternalUserId), ['alice-1', 'bob-1']);
    for (const attendee of response.Attendees) {
      assert.deepEqual(Object.keys(attendee).sort(), ['AttendeeId', 'ExternalUserId', 'JoinToken']);
    }
    assert.deepEqual(response.Errors, []);
  });

  test('without Attendees it creates the meeting alone, with empty Attendees and Errors lists', async () => {
    const response = await fx.chime.send(new CreateMeetingWithAttendeesCommand({}));
    assertLegacyMeeting(response.Meeting);
    assert.deepEqual(response.Attendees, []);
    assert.deepEqual(response.Errors, []);
  });

  test('BadRequestException for more than 10 attendees', async () => {
    await rejectsWith(fx.chime.send(new CreateMeetingWithAttendeesCommand({
      Attendees: Array.from({ length: 11 }, (_, i) => ({ ExternalUserId: `user-${i}` })),
    })), {
      name: 'BadRequestException',
      status: 400,
      message: "1 validation error detected: Value at 'Attendees' failed to satisfy constraint: Member must have length less than or equal to 10",
    });
  });
});

describe('ListMeetings', () => {
  test('an account without meetings lists an empty Meetings list; then pages through its own', async () => {
    const lister = legacyClient(fx.server, { credentials: LISTER });
    try {
      const empty = await lister.send(new ListMeetingsCommand({}));
      assert.equal(empty.$metadata.httpStatusCode, 200);
      assert.deepEqual(empty.Meetings, []);
      assert.equal(empty.NextToken, undefined);

      const ids = [];
      for (let i = 0; i < 3; i += 1) {
        ids.push((await lister.send(new CreateMeetingCommand({}))).Meeting.MeetingId);
      }
      const first = await lister.send(new ListMeetingsCommand({ MaxResults: 2 }));
      assert.equal(first.Meetings.length, 2);
      first.Meetings.forEach(assertLegacyMeeting);
      const second = await lister.send(new ListMeetingsCommand({ MaxResults: 2, NextToken: first.NextToken }));
      assert.equal(second.NextToken, undefined);
      assert.deepEqual([...first.Meetings, ...second.Meetings].map((m) => m.MeetingId), ids);

      await lister.send(new DeleteMeetingCommand({ MeetingId: ids[1] }));
      const { Meetings } = await lister.send(new ListMeetingsCommand({}));
      assert.deepEqual(Meetings.map((m) => m.MeetingId), [ids[0], ids[2]]);
    } finally {
      lister.destroy();
    }
  });

  test('BadRequestException for a NextToken of nothing or MaxResults out of range', async () => {
    await rejectsWith(fx.chime.send(new ListMeetingsCommand({ NextToken: 'not-a-token' })), {
      name: 'BadRequestException',
      status: 400,
      message: 'The NextToken is not valid for this request',
    });
    await rejectsWith(fx.chime.send(new ListMeetingsCommand({ MaxResults: 100 })), {
      name: 'BadRequestException',
      status: 400,
      message: "1 validation error detected: Value at 'MaxResults' failed to satisfy constraint: Member must have value less than or equal to 99",
    });
  });
});

describe('StartMeetingTranscription, StopMeetingTranscription', () => {
  test('start and stop answer 200', async () => {
    const { Meeting } = await fx.chime.send(new CreateMeetingCommand({}));
    const started = await fx.chime.send(new StartMeetingTranscriptionCommand({
      MeetingId: Meeting.MeetingId,
      TranscriptionConfiguration: { EngineTranscribeSettings: { LanguageCode: 'en-US' } },
    }));
    assert.equal(started.$metadata.httpStatusCode, 200);
    const stopped = await fx.chime.send(new StopMeetingTranscriptionCommand({ MeetingId: Meeting.MeetingId }));
    assert.equal(stopped.$metadata.httpStatusCode, 200);
  });

  test('NotFoundException and BadRequestException', async () => {
    const notFound = { name: 'NotFoundException', status: 404, message: `Meeting <${MISSING_ID}> not found` };
    await rejectsWith(fx.chime.send(new StartMeetingTranscriptionCommand({
      MeetingId: MISSING_ID,
      TranscriptionConfiguration: { EngineTranscribeSettings: { LanguageCode: 'en-US' } },
    })), notFound);
    await rejectsWith(fx.chime.send(new StopMeetingTranscriptionCommand({ MeetingId: MISSING_ID })), notFound);
    const { Meeting } = await fx.chime.send(new CreateMeetingCommand({}));
    await rejectsWith(fx.chime.send(new StartMeetingTranscriptionCommand({
      MeetingId: Meeting.MeetingId,
      TranscriptionConfiguration: {},
    })), {
      name: 'BadRequestException',
      status: 400,
      message: 'TranscriptionConfiguration must contain exactly one of EngineTranscribeSettings or EngineTranscribeMedicalSettings',
    });
  });
});
