// Starting a Carillon server for the browser tests, and creating meetings and attendees on it
// with the AWS SDK for JavaScript v3.
import { randomUUID } from 'node:crypto';
import {
  ChimeSDKMeetingsClient,
  CreateAttendeeCommand,
  CreateMeetingCommand,
  DeleteAttendeeCommand,
  DeleteMeetingCommand,
  UpdateAttendeeCapabilitiesCommand,
} from '@aws-sdk/client-chime-sdk-meetings';
import { ChimeClient, CreateMeetingWithAttendeesCommand } from '@aws-sdk/client-chime';

import { startCarillonProcess } from '../../node-support/carillon-process.mjs';

export { REPO_ROOT } from '../../node-support/carillon-process.mjs';

// AWS's documented example key pair: Carillon's default account.
export const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
export const REGION = 'us-east-1';

// Starts Carillon with its API, legacy API and media listeners on free loopback ports and an
// in-memory store, and waits for its ready lines (legacy first, then the main one, last).
// Resolves to {endpoint, legacyEndpoint, adminEndpoint (with --admin-token), meetings, legacy,
// stderr(), stop()}.
export async function startCarillon({ args = [] } = {}) {
  const server = await startCarillonProcess(
    [
      '--listen', '127.0.0.1:0',
      '--legacy-listen', '127.0.0.1:0',
      '--in-memory',
      '--media-listen', '127.0.0.1:0',
      ...args,
    ],
    { echo: Boolean(process.env.BROWSER_TEST_SERVER_LOG) },
  );
  const { endpoint, legacyEndpoint } = server;

  // The AWS SDK warns once per process that its releases after early 2027 need Node.js 22; the
  // versions pinned here run on 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const clientConfig = { region: REGION, credentials: CREDENTIALS, maxAttempts: 3 };
  const meetings = new ChimeSDKMeetingsClient({ ...clientConfig, endpoint });
  const legacy = legacyEndpoint ? new ChimeClient({ ...clientConfig, endpoint: legacyEndpoint }) : null;

  return {
    ...server,
    meetings,
    legacy,
    async stop() {
      meetings.destroy();
      legacy?.destroy();
      await server.stop();
    },
  };
}

export function unique(prefix) {
  return `${prefix}-${randomUUID()}`;
}

// Only the part of an AWS SDK response that the Chime SDK reads (and that survives being passed
// into the page): no $metadata.
function strip(response, key) {
  return { [key]: response[key] };
}

export async function createMeeting(server) {
  const response = await server.meetings.send(new CreateMeetingCommand({
    ClientRequestToken: randomUUID(),
    MediaRegion: REGION,
    ExternalMeetingId: unique('browser'),
  }));
  return strip(response, 'Meeting');
}

export async function createAttendee(server, meeting, externalUserId) {
  const response = await server.meetings.send(new CreateAttendeeCommand({
    MeetingId: meeting.Meeting.MeetingId,
    ExternalUserId: externalUserId,
  }));
  return strip(response, 'Attendee');
}

export async function deleteAttendee(server, meeting, attendee) {
  await server.meetings.send(new DeleteAttendeeCommand({
    MeetingId: meeting.Meeting.MeetingId,
    AttendeeId: attendee.Attendee.AttendeeId,
  }));
}

// UpdateAttendeeCapabilities, e.g. {Audio: 'Receive', Video: 'None', Content: 'None'}.
export async function updateCapabilities(server, meeting, attendee, capabilities) {
  await server.meetings.send(new UpdateAttendeeCapabilitiesCommand({
    MeetingId: meeting.Meeting.MeetingId,
    AttendeeId: attendee.Attendee.AttendeeId,
    Capabilities: capabilities,
  }));
}

export async function deleteMeeting(server, meeting) {
  await server.meetings.send(new DeleteMeetingCommand({ MeetingId: meeting.Meeting.MeetingId }));
}

// A meeting with attendees created through the legacy `chime` API (CreateMeetingWithAttendees):
// {meeting: {Meeting}, attendees: [{Attendee}, ...]} in the same shapes as above.
export async function createLegacyMeetingWithAttendees(server, externalUserIds) {
  if (!server.legacy) throw new Error('the legacy API listener is off');
  const response = await server.legacy.send(new CreateMeetingWithAttendeesCommand({
    ClientRequestToken: randomUUID(),
    MediaRegion: REGION,
    ExternalMeetingId: unique('legacy'),
    Attendees: externalUserIds.map((ExternalUserId) => ({ ExternalUserId })),
  }));
  if (response.Errors?.length) {
    throw new Error(`CreateMeetingWithAttendees errors: ${JSON.stringify(response.Errors)}`);
  }
  return {
    meeting: strip(response, 'Meeting'),
    attendees: response.Attendees.map((Attendee) => ({ Attendee })),
  };
}
