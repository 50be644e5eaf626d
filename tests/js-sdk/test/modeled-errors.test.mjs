// Every error each operation of both APIs models, as the SDK hands it to an app: the exception
// class the client package exports for it, `err.name`, the HTTP status, `$fault` and the message.
// The errors no real condition gives here (ForbiddenException, ServiceFailureException, ...) are
// asked for with the `X-Carillon-Fault` header; the list of errors comes from the same botocore
// models the server is built from.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as meetingsPackage from '@aws-sdk/client-chime-sdk-meetings';
import * as legacyPackage from '@aws-sdk/client-chime';
import { startCarillon } from '../lib/carillon.mjs';
import { MISSING_ID, legacyClient, meetingArn, meetingsClient, withFault } from '../lib/clients.mjs';
import { rejectsWith } from '../lib/expect.mjs';
import { CURRENT_ERRORS, LEGACY_ERRORS, LEGACY_MEETING_OPERATIONS } from '../lib/model.mjs';

// A valid input of each operation. The fault answers before the store is asked, so the ids need
// not name anything; the input must still pass the model's validation, as the server checks it
// first.
const ATTENDEE = { MeetingId: MISSING_ID, AttendeeId: MISSING_ID };
const CAPABILITIES = { Audio: 'SendReceive', Video: 'None', Content: 'None' };
const TAGS = [{ Key: 'team', Value: 'blue' }];
const SHARED_INPUTS = {
  CreateMeeting: { ClientRequestToken: 'token-1', MediaRegion: 'us-east-1', ExternalMeetingId: 'meeting-1' },
  CreateMeetingWithAttendees: {
    ClientRequestToken: 'token-1',
    MediaRegion: 'us-east-1',
    ExternalMeetingId: 'meeting-1',
    Attendees: [{ ExternalUserId: 'alice-1' }],
  },
  GetMeeting: { MeetingId: MISSING_ID },
  DeleteMeeting: { MeetingId: MISSING_ID },
  CreateAttendee: { MeetingId: MISSING_ID, ExternalUserId: 'alice-1' },
  BatchCreateAttendee: { MeetingId: MISSING_ID, Attendees: [{ ExternalUserId: 'alice-1' }] },
  GetAttendee: ATTENDEE,
  ListAttendees: { MeetingId: MISSING_ID },
  DeleteAttendee: ATTENDEE,
  StartMeetingTranscription: {
    MeetingId: MISSING_ID,
    TranscriptionConfiguration: { EngineTranscribeSettings: { LanguageCode: 'en-US' } },
  },
  StopMeetingTranscription: { MeetingId: MISSING_ID },
  TagResource: { ResourceARN: meetingArn(MISSING_ID), Tags: TAGS },
  UntagResource: { ResourceARN: meetingArn(MISSING_ID), TagKeys: ['team'] },
  ListTagsForResource: { ResourceARN: meetingArn(MISSING_ID) },
};
const CURRENT_INPUTS = {
  ...SHARED_INPUTS,
  UpdateAttendeeCapabilities: { ...ATTENDEE, Capabilities: CAPABILITIES },
  BatchUpdateAttendeeCapabilitiesExcept: {
    MeetingId: MISSING_ID,
    ExcludedAttendeeIds: [{ AttendeeId: MISSING_ID }],
    Capabilities: CAPABILITIES,
  },
};
const LEGACY_INPUTS = {
  ...SHARED_INPUTS,
  ListMeetings: {},
  TagMeeting: { MeetingId: MISSING_ID, Tags: TAGS },
  UntagMeeting: { MeetingId: MISSING_ID, TagKeys: ['team'] },
  ListMeetingTags: { MeetingId: MISSING_ID },
  TagAttendee: { ...ATTENDEE, Tags: TAGS },
  UntagAttendee: { ...ATTENDEE, TagKeys: ['team'] },
  ListAttendeeTags: ATTENDEE,
};

// The message of an injected error. A throttle is rendered exactly as the rate quotas' own.
function expectedMessage(name) {
  if (name === 'ThrottlingException' || name === 'ThrottledClientException') {
    return /^Rate exceeded: .* retry in \d+ ms$/;
  }
  return `${name} injected by a fault rule`;
}

let server;
let meetings;
let legacy;

before(async () => {
  server = await startCarillon(['--quotas', 'off', '--fault-header', 'on']);
  meetings = meetingsClient(server);
  legacy = legacyClient(server);
});

after(async () => {
  meetings?.destroy();
  legacy?.destroy();
  await server?.stop();
});

const APIS = [
  {
    title: 'current API (@aws-sdk/client-chime-sdk-meetings)',
    sdk: meetingsPackage,
    baseException: meetingsPackage.ChimeSDKMeetingsServiceException,
    client: () => meetings,
    errors: CURRENT_ERRORS,
    inputs: CURRENT_INPUTS,
  },
  {
    title: 'legacy API (@aws-sdk/client-chime)',
    sdk: legacyPackage,
    baseException: legacyPackage.ChimeServiceException,
    client: () => legacy,
    errors: LEGACY_ERRORS,
    inputs: LEGACY_INPUTS,
  },
];

test('the legacy model has every meeting operation the server serves', () => {
  assert.deepEqual(Object.keys(LEGACY_ERRORS), LEGACY_MEETING_OPERATIONS);
});

for (const api of APIS) {
  describe(api.title, () => {
    test('the package has a command for every operation of the model', () => {
      const missing = Object.keys(api.errors).filter((operation) => !api.sdk[`${operation}Command`]);
      assert.deepEqual(missing, []);
      assert.deepEqual(Object.keys(api.inputs).sort(), Object.keys(api.errors).sort());
    });

    for (const [operation, errors] of Object.entries(api.errors)) {
      test(`${operation}: ${errors.map((e) => e.name).join(', ')}`, async () => {
        assert.ok(errors.length > 0, `${operation} models no error`);
        for (const { name, status } of errors) {
          const Command = api.sdk[`${operation}Command`];
          const command = withFault(new Command(api.inputs[operation]), `error=${name}`);
          const error = await rejectsWith(api.client().send(command), {
            name,
            status,
            message: expectedMessage(name),
          });
          // An app tells errors apart by class: the package's own class for each modeled error.
          assert.ok(error instanceof api.sdk[name], `${operation} ${name} is an instance of the ${name} class`);
          assert.ok(error instanceof api.baseException, `${operation} ${name} is a service exception`);
          assert.equal(error.$metadata.attempts, 1);
        }
      });
    }
  });
}
