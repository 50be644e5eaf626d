// Errors of the front door, which no operation models: a wrong secret, an unknown access key, and
// a clock the SDK must correct. The server answers them with `x-amzn-ErrorType` and a body
// `{"message": ...}` alone, as AWS's signing front end does; both client packages must name
// them in full (`InvalidSignatureException`, not `InvalidSignature`).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as current from '@aws-sdk/client-chime-sdk-meetings';
import * as legacy from '@aws-sdk/client-chime';
import { startCarillon } from '../lib/carillon.mjs';
import { EXAMPLE, MISSING_ID, legacyClient, meetingsClient } from '../lib/clients.mjs';
import { rejectsWith } from '../lib/expect.mjs';

const WRONG_SECRET = { accessKeyId: EXAMPLE.accessKeyId, secretAccessKey: 'not-the-secret' };
const UNKNOWN_KEY = { accessKeyId: 'AKIDNOBODYKNOWS', secretAccessKey: 'whatever' };
const INVALID_SIGNATURE = {
  name: 'InvalidSignatureException',
  status: 403,
  message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
};
const UNRECOGNIZED_CLIENT = {
  name: 'UnrecognizedClientException',
  status: 403,
  message: 'The security token included in the request is invalid.',
};
// What the calls below answer once they are authenticated.
const AUTHENTICATED = { name: 'NotFoundException', status: 404, message: `Meeting <${MISSING_ID}> not found` };
// Twenty minutes behind: past the 15 minutes a signature may be off.
const SKEW_MS = -20 * 60 * 1000;

let server;

before(async () => {
  server = await startCarillon(['--quotas', 'off']);
});

after(async () => {
  await server?.stop();
});

const APIS = [
  {
    title: 'current API (@aws-sdk/client-chime-sdk-meetings)',
    makeClient: meetingsClient,
    call: () => new current.GetMeetingCommand({ MeetingId: MISSING_ID }),
    baseException: current.ChimeSDKMeetingsServiceException,
  },
  {
    title: 'legacy API (@aws-sdk/client-chime)',
    makeClient: legacyClient,
    call: () => new legacy.GetMeetingCommand({ MeetingId: MISSING_ID }),
    baseException: legacy.ChimeServiceException,
  },
];

for (const api of APIS) {
  describe(api.title, () => {
    async function failWith(credentials, expected) {
      const client = api.makeClient(server, { credentials });
      try {
        const error = await rejectsWith(client.send(api.call()), expected);
        assert.ok(error instanceof api.baseException);
        // The body says `message` alone: no modeled `Code` member reaches the error.
        assert.equal(error.Code, undefined);
        return error;
      } finally {
        client.destroy();
      }
    }

    test('a wrong secret is InvalidSignatureException, 403', async () => {
      await failWith(WRONG_SECRET, INVALID_SIGNATURE);
    });

    test('an unknown access key is UnrecognizedClientException, 403', async () => {
      await failWith(UNKNOWN_KEY, UNRECOGNIZED_CLIENT);
    });

    test('a clock 20 minutes off: InvalidSignatureException, then the SDK corrects it from Date and retries', async () => {
      const once = api.makeClient(server, { systemClockOffset: SKEW_MS });
      try {
        await rejectsWith(once.send(api.call()), {
          name: 'InvalidSignatureException',
          status: 403,
          message: /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/,
        });
        // The SDK has read the server's clock from the answer's Date header.
        assert.ok(Math.abs(once.config.systemClockOffset) < 5000, `offset ${once.config.systemClockOffset}`);
      } finally {
        once.destroy();
      }

      const retrying = api.makeClient(server, { systemClockOffset: SKEW_MS, maxAttempts: 2 });
      try {
        const error = await rejectsWith(retrying.send(api.call()), AUTHENTICATED);
        assert.equal(error.$metadata.attempts, 2);
      } finally {
        retrying.destroy();
      }
    });
  });
}
