// AWS SDK for JavaScript v3 clients of both meeting APIs, configured as an app would configure
// them for Carillon: a region, an endpoint, a key pair and the number of attempts, each set
// explicitly so that no AWS profile or environment variable of the machine decides them.
import { randomUUID } from 'node:crypto';
import { ChimeSDKMeetingsClient } from '@aws-sdk/client-chime-sdk-meetings';
import { ChimeClient } from '@aws-sdk/client-chime';

// The SDK warns once per process that its releases after early 2027 need Node.js 22; the
// versions pinned here run on 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const REGION = 'us-east-1';

// AWS's documented example key pair: Carillon's default account.
export const EXAMPLE = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  accountId: '123456789012',
};

function config(endpoint, { credentials = EXAMPLE, maxAttempts = 1, ...rest }) {
  return {
    region: REGION,
    endpoint,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
    },
    // One attempt unless a test says otherwise: a retry would hide the first answer.
    maxAttempts,
    ...rest,
  };
}

// A client of the current API (`chime-sdk-meetings`). `options` may set credentials
// ({accessKeyId, secretAccessKey}), maxAttempts and any other client setting.
export function meetingsClient(server, options = {}) {
  return new ChimeSDKMeetingsClient(config(server.endpoint, options));
}

// A client of the legacy `chime` meeting API.
export function legacyClient(server, options = {}) {
  return new ChimeClient(config(server.legacyEndpoint, options));
}

// The command, sending `X-Carillon-Fault: <value>` (the server needs `--fault-header on`).
export function withFault(command, value) {
  command.middlewareStack.add(
    (next) => (args) => {
      args.request.headers['x-carillon-fault'] = value;
      return next(args);
    },
    { step: 'build', name: 'carillonFaultHeader' },
  );
  return command;
}

// A fresh value for ClientRequestToken, ExternalMeetingId or ExternalUserId (2..64 characters).
export function unique(prefix) {
  return `${prefix}-${randomUUID()}`;
}

export function meetingArn(meetingId, account = EXAMPLE) {
  return `arn:aws:chime:${REGION}:${account.accountId}:meeting/${meetingId}`;
}

// A well-formed meeting or attendee id that names nothing.
export const MISSING_ID = '11111111-2222-4333-8444-555555555555';

// The server's `--credentials` flag for these accounts ({accessKeyId, secretAccessKey,
// accountId}); only they are accepted then.
export function credentialsArgs(...accounts) {
  return ['--credentials', accounts.map((a) => `${a.accessKeyId}:${a.secretAccessKey}:${a.accountId}`).join(',')];
}
