// Throttling and the SDK's retries, with quotas on: what a request over a rate quota or the
// concurrent meeting quota answers, and which errors each client package retries on its own
// (throttles after `x-amz-retry-after`, 503 after `Retry-After`, 500) and which it does not.
// Throttles and failures on demand come from fault rules set through the admin API.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as current from '@aws-sdk/client-chime-sdk-meetings';
import * as legacy from '@aws-sdk/client-chime';
import { startCarillon } from '../lib/carillon.mjs';
import { legacyClient, meetingsClient, unique } from '../lib/clients.mjs';
import { rejectsWith } from '../lib/expect.mjs';

const ADMIN_TOKEN = randomUUID();
// One request a second, burst 1, for the operations the rate tests use; every other operation
// keeps the aggregate quota, raised so that the rest of this file is never throttled. Three
// active meetings per account and API.
const QUOTAS = {
  default: {
    all_operations: { rate: 1000, burst: 1000 },
    operations: {
      GetMeeting: { rate: 1, burst: 1 },
      ListAttendees: { rate: 1, burst: 1 },
    },
    max_active_meetings: 3,
    legacy_max_active_meetings: 3,
  },
};
// The message of a throttle of the rate quotas above.
function throttleMessage(operation) {
  return new RegExp(`^Rate exceeded: ${operation} is limited to 1 requests per second \\(burst 1\\) for this account; retry in \\d+ ms$`);
}

let server;
let quotaDir;
let meetingId;
let attendeeId;
let legacyMeetingId;

// Adds a fault rule through the admin API (README, "Fault injection").
async function addFaultRule(rule) {
  const response = await fetch(`${server.adminEndpoint}/v1/faults`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(rule),
  });
  assert.equal(response.status, 201, await response.text());
}

function newMeeting(client) {
  return client.send(new current.CreateMeetingCommand({
    ClientRequestToken: unique('token'),
    MediaRegion: 'us-east-1',
    ExternalMeetingId: unique('meeting'),
  }));
}

before(async () => {
  quotaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'carillon-js-quotas-'));
  const quotaFile = path.join(quotaDir, 'quotas.json');
  fs.writeFileSync(quotaFile, JSON.stringify(QUOTAS));
  server = await startCarillon(['--quota-file', quotaFile, '--admin-token', ADMIN_TOKEN]);
  const meetings = meetingsClient(server);
  const chime = legacyClient(server);
  try {
    meetingId = (await newMeeting(meetings)).Meeting.MeetingId;
    attendeeId = (await meetings.send(new current.CreateAttendeeCommand({ MeetingId: meetingId, ExternalUserId: 'alice-1' })))
      .Attendee.AttendeeId;
    legacyMeetingId = (await chime.send(new legacy.CreateMeetingCommand({}))).Meeting.MeetingId;
  } finally {
    meetings.destroy();
    chime.destroy();
  }
});

after(async () => {
  await server?.stop();
  if (quotaDir) fs.rmSync(quotaDir, { recursive: true, force: true });
});

// Runs `body` with a client made by `make(server, options)`, destroyed afterwards.
async function withClient(make, options, body) {
  const client = make(server, options);
  try {
    return await body(client);
  } finally {
    client.destroy();
  }
}

describe('rate quotas', () => {
  test('the second call in a second is ThrottlingException, 429, naming the quota', async () => {
    await withClient(meetingsClient, { maxAttempts: 1 }, async (chime) => {
      const get = () => chime.send(new current.GetMeetingCommand({ MeetingId: meetingId }));
      await get().catch(() => {});
      const error = await rejectsWith(get(), { name: 'ThrottlingException', status: 429, message: throttleMessage('GetMeeting') });
      assert.ok(error instanceof current.ThrottlingException);
      assert.equal(error.$metadata.attempts, 1);
    });
  });

  test('the legacy API answers ThrottledClientException, 429', async () => {
    await withClient(legacyClient, { maxAttempts: 1 }, async (chime) => {
      const get = () => chime.send(new legacy.GetMeetingCommand({ MeetingId: legacyMeetingId }));
      await get().catch(() => {});
      const error = await rejectsWith(get(), { name: 'ThrottledClientException', status: 429, message: throttleMessage('GetMeeting') });
      assert.ok(error instanceof legacy.ThrottledClientException);
    });
  });

  test('the current SDK waits the x-amz-retry-after the throttle names, then succeeds', async () => {
    await withClient(meetingsClient, { maxAttempts: 3 }, async (chime) => {
      const list = () => chime.send(new current.ListAttendeesCommand({ MeetingId: meetingId }));
      await list();
      // The bucket is empty now: the next call is throttled once, and retried a token later.
      const response = await list();
      assert.equal(response.$metadata.attempts, 2);
      assert.ok(response.$metadata.totalRetryDelay >= 500, `waited ${response.$metadata.totalRetryDelay} ms`);
      assert.deepEqual(response.Attendees.map((a) => a.AttendeeId), [attendeeId]);
    });
  });
});

describe('what each SDK retries', () => {
  const getAttendee = () => new current.GetAttendeeCommand({ MeetingId: meetingId, AttendeeId: attendeeId });

  test('ThrottlingException: retried up to maxAttempts', async () => {
    await addFaultRule({ api: 'meetings', operation: 'GetAttendee', action: 'error', error: 'ThrottlingException', count: 2 });
    await withClient(meetingsClient, { maxAttempts: 3 }, async (chime) => {
      const response = await chime.send(getAttendee());
      assert.equal(response.$metadata.attempts, 3);
      assert.equal(response.Attendee.AttendeeId, attendeeId);
    });
    await addFaultRule({ api: 'meetings', operation: 'GetAttendee', action: 'error', error: 'ThrottlingException', count: 2 });
    await withClient(meetingsClient, { maxAttempts: 2 }, async (chime) => {
      const error = await rejectsWith(chime.send(getAttendee()), {
        name: 'ThrottlingException',
        status: 429,
        message: /^Rate exceeded: /,
      });
      assert.equal(error.$metadata.attempts, 2);
    });
  });

  test('ThrottledClientException of the legacy API: retried too (any 429 is a throttle to the JS SDK)', async () => {
    await addFaultRule({ api: 'legacy', operation: 'ListMeetingTags', action: 'error', error: 'ThrottledClientException', count: 2 });
    await withClient(legacyClient, { maxAttempts: 3 }, async (chime) => {
      const response = await chime.send(new legacy.ListMeetingTagsCommand({ MeetingId: legacyMeetingId }));
      assert.equal(response.$metadata.attempts, 3);
      assert.deepEqual(response.Tags, []);
    });
  });

  test('ServiceUnavailableException: retried by both packages, after its Retry-After second by the current one', async () => {
    await addFaultRule({ api: 'meetings', operation: 'GetAttendee', action: 'error', error: 'ServiceUnavailableException', count: 1 });
    await withClient(meetingsClient, { maxAttempts: 3 }, async (chime) => {
      const response = await chime.send(getAttendee());
      assert.equal(response.$metadata.attempts, 2);
      assert.ok(response.$metadata.totalRetryDelay >= 1000, `waited ${response.$metadata.totalRetryDelay} ms`);
    });
    await addFaultRule({ api: 'legacy', operation: 'ListMeetings', action: 'error', error: 'ServiceUnavailableException', count: 1 });
    // The retry middleware of 3.699.0 (@smithy/middleware-retry 3.0.34) reads `Retry-After: 1`
    // as a date one second after 1970, so it waits only its own backoff.
    await withClient(legacyClient, { maxAttempts: 3 }, async (chime) => {
      const response = await chime.send(new legacy.ListMeetingsCommand({}));
      assert.equal(response.$metadata.attempts, 2);
    });
  });

  test('ServiceFailureException (500) is retried; ForbiddenException is not', async () => {
    await addFaultRule({ api: 'meetings', operation: 'GetAttendee', action: 'error', error: 'ServiceFailureException', count: 1 });
    await withClient(meetingsClient, { maxAttempts: 3 }, async (chime) => {
      assert.equal((await chime.send(getAttendee())).$metadata.attempts, 2);
    });
    await addFaultRule({ api: 'meetings', operation: 'GetAttendee', action: 'error', error: 'ForbiddenException', count: 1 });
    await withClient(meetingsClient, { maxAttempts: 3 }, async (chime) => {
      const error = await rejectsWith(chime.send(getAttendee()), {
        name: 'ForbiddenException',
        status: 403,
        message: 'ForbiddenException injected by a fault rule',
      });
      assert.equal(error.$metadata.attempts, 1);
    });
  });
});

describe('concurrent meeting quota', () => {
  const FULL = /^The account already has the maximum number of active meetings \(3, concurrent meeting quota L-9F286451\); end a meeting before creating another$/;

  test('current API: LimitExceededException, which the SDK retries as a throttle', async () => {
    await withClient(meetingsClient, { maxAttempts: 3 }, async (chime) => {
      // One meeting exists already (before()).
      const created = [(await newMeeting(chime)).Meeting.MeetingId, (await newMeeting(chime)).Meeting.MeetingId];
      const error = await rejectsWith(newMeeting(chime), { name: 'LimitExceededException', status: 400, message: FULL });
      // LimitExceededException is among the error codes the AWS SDKs treat as throttling.
      assert.equal(error.$metadata.attempts, 3);
      await chime.send(new current.DeleteMeetingCommand({ MeetingId: created[0] }));
      assert.equal((await newMeeting(chime)).$metadata.attempts, 1);
    });
  });

  test('legacy API: ResourceLimitExceededException, not retried', async () => {
    await withClient(legacyClient, { maxAttempts: 3 }, async (chime) => {
      await chime.send(new legacy.CreateMeetingCommand({}));
      await chime.send(new legacy.CreateMeetingCommand({}));
      const error = await rejectsWith(chime.send(new legacy.CreateMeetingCommand({})), {
        name: 'ResourceLimitExceededException',
        status: 400,
        message: /^The account already has the maximum number of active meetings \(3, concurrent meeting quota L-A5C73716\)/,
      });
      assert.equal(error.$metadata.attempts, 1);
    });
  });
});
