// CreateMeeting, CreateMeetingWithAttendees, GetMeeting and DeleteMeeting of the current API
// through @aws-sdk/client-chime-sdk-meetings, and the errors a real condition gives them (the
// errors only a fault can give are in modeled-errors.test.mjs, the quotas in quotas.test.mjs).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CreateMeetingCommand,
  CreateMeetingWithAttendeesCommand,
  DeleteMeetingCommand,
  GetMeetingCommand,
} from '@aws-sdk/client-chime-sdk-meetings';
import { serverWith } from '../lib/carillon.mjs';
import { MISSING_ID, meetingArn, meetingsClient, unique } from '../lib/clients.mjs';
import { rejectsWith } from '../lib/expect.mjs';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SEND_RECEIVE = { Audio: 'SendReceive', Video: 'SendReceive', Content: 'SendReceive' };

const fx = serverWith(meetingsClient);

function createMeeting(members = {}) {
  return fx.chime.send(new CreateMeetingCommand({
    ClientRequestToken: unique('token'),
    MediaRegion: 'us-east-1',
    ExternalMeetingId: unique('meeting'),
    ...members,
  }));
}

function assertMeeting(meeting) {
  assert.match(meeting.MeetingId, GUID);
  assert.equal(meeting.MeetingArn, meetingArn(meeting.MeetingId));
  const host = new URL(fx.server.endpoint).host;
  assert.equal(meeting.MediaPlacement.SignalingUrl, `ws://${host}/control/${meeting.MeetingId}`);
  for (const member of ['AudioHostUrl', 'AudioFallbackUrl', 'TurnControlUrl', 'ScreenDataUrl',
    'ScreenViewingUrl', 'ScreenSharingUrl', 'EventIngestionUrl']) {
    assert.ok(meeting.MediaPlacement[member], member);
  }
}

describe('CreateMeeting', () => {
  test('returns a complete meeting, with TenantIds an empty list when none were given', async () => {
    const externalMeetingId = unique('standup');
    const response = await createMeeting({ ExternalMeetingId: externalMeetingId, MeetingHostId: 'host-1' });
    assert.equal(response.$metadata.httpStatusCode, 200);
    assert.match(response.$metadata.requestId, GUID);
    const meeting = response.Meeting;
    assertMeeting(meeting);
    assert.equal(meeting.ExternalMeetingId, externalMeetingId);
    assert.equal(meeting.MediaRegion, 'us-east-1');
    assert.equal(meeting.MeetingHostId, 'host-1');
    assert.equal(meeting.PrimaryMeetingId, undefined);
    assert.equal(meeting.MeetingFeatures, undefined);
    // What an app written against AWS does with it.
    assert.deepEqual(meeting.TenantIds, []);
    assert.equal(meeting.TenantIds.length, 0);
  });

  test('echoes TenantIds and MeetingFeatures', async () => {
    const features = {
      Audio: { EchoReduction: 'AVAILABLE' },
      Video: { MaxResolution: 'FHD' },
      Content: { MaxResolution: 'UHD' },
      Attendee: { MaxCount: 25 },
    };
    const { Meeting } = await createMeeting({ TenantIds: ['tenant-a', 'tenant_b'], MeetingFeatures: features });
    assert.deepEqual(Meeting.TenantIds, ['tenant-a', 'tenant_b']);
    assert.deepEqual(Meeting.MeetingFeatures, features);
  });

  test('a repeated ClientRequestToken answers the original meeting', async () => {
    const token = unique('token');
    const first = await createMeeting({ ClientRequestToken: token });
    const again = await createMeeting({ ClientRequestToken: token, ExternalMeetingId: unique('other') });
    assert.deepEqual(again.Meeting, first.Meeting);
  });

  test('a replica names its primary; a fifth replica is LimitExceededException', async () => {
    const primary = (await createMeeting()).Meeting;
    for (let i = 0; i < 4; i += 1) {
      const { Meeting } = await createMeeting({ PrimaryMeetingId: primary.MeetingId });
      assert.equal(Meeting.PrimaryMeetingId, primary.MeetingId);
    }
    await rejectsWith(createMeeting({ PrimaryMeetingId: primary.MeetingId }), {
      name: 'LimitExceededException',
      status: 400,
      message: `The primary meeting <${primary.MeetingId}> already has the maximum number of replica meetings (4)`,
    });
  });

  test('BadRequestException for what the service refuses', async () => {
    await rejectsWith(createMeeting({ MediaRegion: 'mars-north-1' }), {
      name: 'BadRequestException',
      status: 400,
      message: /^MediaRegion 'mars-north-1' is not a supported media region/,
    });
    await rejectsWith(createMeeting({ ExternalMeetingId: 'x' }), {
      name: 'BadRequestException',
      status: 400,
      message: "1 validation error detected: Value at 'ExternalMeetingId' failed to satisfy constraint: Member must have length greater than or equal to 2",
    });
    await rejectsWith(createMeeting({ MeetingFeatures: { Video: { MaxResolution: 'FHD' } } }), {
      name: 'BadRequestException',
      status: 400,
      message: /^MeetingFeatures\.Attendee\.MaxCount is required/,
    });
    await rejectsWith(createMeeting({ PrimaryMeetingId: MISSING_ID }), {
      name: 'BadRequestException',
      status: 400,
      message: `PrimaryMeetingId <${MISSING_ID}> does not name an active meeting`,
    });
  });
});

describe('CreateMeetingWithAttendees', () => {
  function createWithAttendees(attendees, members = {}) {
    return fx.chime.send(new CreateMeetingWithAttendeesCommand({
      ClientRequestToken: unique('token'),
      MediaRegion: 'us-east-1',
      ExternalMeetingId: unique('meeting'),
      Attendees: attendees,
      ...members,
    }));
  }

  test('returns the meeting, its attendees and an empty Errors list', async () => {
    const response = await createWithAttendees([{ ExternalUserId: 'alice-1' }, { ExternalUserId: 'bob-1' }]);
    assert.equal(response.$metadata.httpStatusCode, 200);
    assertMeeting(response.Meeting);
    assert.deepEqual(response.Meeting.TenantIds, []);
    assert.deepEqual(response.Attendees.map((a) => a.ExternalUserId), ['alice-1', 'bob-1']);
    for (const attendee of response.Attendees) {
      assert.match(attendee.AttendeeId, GUID);
      assert.ok(attendee.JoinToken);
      assert.deepEqual(attendee.Capabilities, SEND_RECEIVE);
    }
    assert.deepEqual(response.Errors, []);
    const { Meeting } = await fx.chime.send(new GetMeetingCommand({ MeetingId: response.Meeting.MeetingId }));
    assert.deepEqual(Meeting, response.Meeting);
  });

  test('attendees over the meeting\'s cap or its features are reported in Errors', async () => {
    const response = await createWithAttendees(
      [
        { ExternalUserId: 'first-1' },
        { ExternalUserId: 'second-1' },
        { ExternalUserId: 'video-1', Capabilities: SEND_RECEIVE },
      ],
      { MeetingFeatures: { Attendee: { MaxCount: 1 }, Video: { MaxResolution: 'None' } } },
    );
    assert.deepEqual(response.Attendees.map((a) => a.ExternalUserId), ['first-1']);
    const byUser = Object.fromEntries(response.Errors.map((e) => [e.ExternalUserId, e]));
    assert.deepEqual(Object.keys(byUser).sort(), ['second-1', 'video-1']);
    assert.equal(byUser['second-1'].ErrorCode, 'LimitExceeded');
    assert.equal(byUser['second-1'].ErrorMessage,
      `The meeting <${response.Meeting.MeetingId}> already has its maximum number of attendees (1)`);
    assert.equal(byUser['video-1'].ErrorCode, 'BadRequest');
    assert.match(byUser['video-1'].ErrorMessage, /^Capabilities\.Video must be None/);
  });

  test('BadRequestException for more than 20 attendees or a bad member', async () => {
    const many = Array.from({ length: 21 }, (_, i) => ({ ExternalUserId: `user-${i}` }));
    await rejectsWith(createWithAttendees(many), {
      name: 'BadRequestException',
      status: 400,
      message: "1 validation error detected: Value at 'Attendees' failed to satisfy constraint: Member must have length less than or equal to 20",
    });
    await rejectsWith(createWithAttendees([{ ExternalUserId: 'aws:reserved' }]), {
      name: 'BadRequestException',
      status: 400,
      message: /Attendees\[0\]\.ExternalUserId/,
    });
  });

  test('LimitExceededException past the primary\'s replicas', async () => {
    const primary = (await createMeeting()).Meeting;
    for (let i = 0; i < 4; i += 1) {
      await createWithAttendees([{ ExternalUserId: 'replica-user' }], { PrimaryMeetingId: primary.MeetingId });
    }
    await rejectsWith(
      createWithAttendees([{ ExternalUserId: 'replica-user' }], { PrimaryMeetingId: primary.MeetingId }),
      { name: 'LimitExceededException', status: 400, message: /maximum number of replica meetings \(4\)$/ },
    );
  });
});

describe('GetMeeting', () => {
  test('NotFoundException for a meeting that does not exist', async () => {
    await rejectsWith(fx.chime.send(new GetMeetingCommand({ MeetingId: MISSING_ID })), {
      name: 'NotFoundException',
      status: 404,
      message: `Meeting <${MISSING_ID}> not found`,
    });
  });

  test('BadRequestException for an id that is not a GUID', async () => {
    await rejectsWith(fx.chime.send(new GetMeetingCommand({ MeetingId: 'not-a-meeting' })), {
      name: 'BadRequestException',
      status: 400,
      message: /Value at 'MeetingId' failed to satisfy constraint/,
    });
  });
});

describe('DeleteMeeting', () => {
  test('answers 204 and ends the meeting; a second delete is NotFoundException', async () => {
    const { Meeting } = await createMeeting();
    const deleted = await fx.chime.send(new DeleteMeetingCommand({ MeetingId: Meeting.MeetingId }));
    assert.equal(deleted.$metadata.httpStatusCode, 204);
    const notFound = { name: 'NotFoundException', status: 404, message: `Meeting <${Meeting.MeetingId}> not found` };
    await rejectsWith(fx.chime.send(new GetMeetingCommand({ MeetingId: Meeting.MeetingId })), notFound);
    await rejectsWith(fx.chime.send(new DeleteMeetingCommand({ MeetingId: Meeting.MeetingId })), notFound);
  });

  test('BadRequestException for an id that is not a GUID', async () => {
    await rejectsWith(fx.chime.send(new DeleteMeetingCommand({ MeetingId: 'not-a-meeting' })), {
      name: 'BadRequestException',
      status: 400,
      message: /Value at 'MeetingId' failed to satisfy constraint/,
    });
  });
});
