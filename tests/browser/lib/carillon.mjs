// Starting a Carillon server for the browser tests, and creating meetings and attendees on it
// with the AWS SDK for JavaScript v3.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  ChimeSDKMeetingsClient,
  CreateAttendeeCommand,
  CreateMeetingCommand,
  DeleteAttendeeCommand,
  DeleteMeetingCommand,
  UpdateAttendeeCapabilitiesCommand,
} from '@aws-sdk/client-chime-sdk-meetings';
import { ChimeClient, CreateMeetingWithAttendeesCommand } from '@aws-sdk/client-chime';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

// AWS's documented example key pair: Carillon's default account.
export const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
export const REGION = 'us-east-1';

const READY = /carillon listening on (http:\/\/\S+)/;
const LEGACY_READY = /carillon legacy API listening on (http:\/\/\S+)/;
const ADMIN_READY = /carillon admin listening on (http:\/\/\S+)/;
const STARTUP_TIMEOUT_MS = 15000;
const STDERR_KEPT = 64 * 1024;

export function carillonBinary() {
  const configured = process.env.CARILLON_BIN;
  const binary = configured
    ? path.resolve(REPO_ROOT, configured)
    : path.join(REPO_ROOT, 'target', 'debug', 'carillon');
  try {
    fs.accessSync(binary, fs.constants.X_OK);
  } catch {
    throw new Error(
      `carillon binary not found at ${binary}: build it with \`cargo build --bin carillon\` ` +
        'or point CARILLON_BIN at it',
    );
  }
  return binary;
}

// Starts Carillon with its API, legacy API and media listeners on free loopback ports and an
// in-memory store, and waits for its ready lines (legacy first, then the main one, last).
// Resolves to {endpoint, legacyEndpoint, adminEndpoint (with --admin-token), meetings, legacy,
// stderr(), stop()}.
export async function startCarillon({ args = [] } = {}) {
  const binary = carillonBinary();
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('CARILLON_')),
  );
  env.RUST_LOG = process.env.RUST_LOG ?? 'warn';
  const child = spawn(
    binary,
    [
      '--listen', '127.0.0.1:0',
      '--legacy-listen', '127.0.0.1:0',
      '--in-memory',
      '--media-listen', '127.0.0.1:0',
      ...args,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    if (process.env.BROWSER_TEST_SERVER_LOG) process.stderr.write(chunk);
    stderr = (stderr + chunk).slice(-STDERR_KEPT);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // Never outlive this process, however it ends.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  exited.then(() => process.off('exit', killOnExit));

  const lines = readline.createInterface({ input: child.stdout });
  let legacyEndpoint = null;
  let adminEndpoint = null;
  const ready = new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const legacy = LEGACY_READY.exec(line);
      if (legacy) legacyEndpoint = legacy[1];
      const admin = ADMIN_READY.exec(line);
      if (admin) adminEndpoint = admin[1];
      const main = READY.exec(line);
      if (main) resolve(main[1]);
    });
    exited.then(({ code, signal }) =>
      reject(new Error(`carillon exited (${signal ?? code}) before it was ready:\n${stderr}`)));
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`carillon was not ready within ${STARTUP_TIMEOUT_MS} ms:\n${stderr}`)),
      STARTUP_TIMEOUT_MS,
    );
  });

  let endpoint;
  try {
    endpoint = await Promise.race([ready, timeout]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
  }
  // Keep draining stdout so that the server never blocks on a full pipe.
  lines.on('line', () => {});

  // The AWS SDK warns once per process that its releases after early 2027 need Node.js 22; the
  // versions pinned here run on 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const clientConfig = { region: REGION, credentials: CREDENTIALS, maxAttempts: 3 };
  const meetings = new ChimeSDKMeetingsClient({ ...clientConfig, endpoint });
  const legacy = legacyEndpoint ? new ChimeClient({ ...clientConfig, endpoint: legacyEndpoint }) : null;

  return {
    endpoint,
    legacyEndpoint,
    adminEndpoint,
    meetings,
    legacy,
    stderr: () => stderr,
    async stop() {
      meetings.destroy();
      legacy?.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(killer);
      }
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
