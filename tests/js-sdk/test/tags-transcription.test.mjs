// TagResource, UntagResource, ListTagsForResource, StartMeetingTranscription and
// StopMeetingTranscription of the current API, and the errors a real condition gives them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CreateMeetingCommand,
  DeleteMeetingCommand,
  ListTagsForResourceCommand,
  StartMeetingTranscriptionCommand,
  StopMeetingTranscriptionCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-chime-sdk-meetings';
import { serverWith } from '../lib/carillon.mjs';
import { MISSING_ID, meetingArn, meetingsClient, unique } from '../lib/clients.mjs';
import { rejectsWith } from '../lib/expect.mjs';

const ENGLISH = { EngineTranscribeSettings: { LanguageCode: 'en-US' } };

const fx = serverWith(meetingsClient);

async function newMeeting(members = {}) {
  const { Meeting } = await fx.chime.send(new CreateMeetingCommand({
    ClientRequestToken: unique('token'),
    MediaRegion: 'us-east-1',
    ExternalMeetingId: unique('meeting'),
    ...members,
  }));
  return Meeting;
}

async function tagsOf(arn) {
  const { Tags } = await fx.chime.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
  return [...Tags].sort((a, b) => a.Key.localeCompare(b.Key));
}

function tags(count, prefix = 'k') {
  return Array.from({ length: count }, (_, i) => ({ Key: `${prefix}${i}`, Value: 'v' }));
}

describe('TagResource, UntagResource, ListTagsForResource', () => {
  test('a meeting without tags lists an empty Tags list', async () => {
    const meeting = await newMeeting();
    const response = await fx.chime.send(new ListTagsForResourceCommand({ ResourceARN: meeting.MeetingArn }));
    assert.equal(response.$metadata.httpStatusCode, 200);
    assert.deepEqual(response.Tags, []);
  });

  test('tags given at creation, added, overwritten and removed', async () => {
    const meeting = await newMeeting({ Tags: [{ Key: 'team', Value: 'blue' }] });
    const arn = meeting.MeetingArn;
    assert.deepEqual(await tagsOf(arn), [{ Key: 'team', Value: 'blue' }]);
    const tagged = await fx.chime.send(new TagResourceCommand({
      ResourceARN: arn,
      Tags: [{ Key: 'team', Value: 'green' }, { Key: 'env', Value: 'dev' }],
    }));
    assert.equal(tagged.$metadata.httpStatusCode, 204);
    assert.deepEqual(await tagsOf(arn), [{ Key: 'env', Value: 'dev' }, { Key: 'team', Value: 'green' }]);
    const untagged = await fx.chime.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['env', 'never-set'] }));
    assert.equal(untagged.$metadata.httpStatusCode, 204);
    assert.deepEqual(await tagsOf(arn), [{ Key: 'team', Value: 'green' }]);
  });

  test('TooManyTagsException past 50 tags, naming the resource', async () => {
    const meeting = await newMeeting({ Tags: tags(50) });
    const error = await rejectsWith(fx.chime.send(new TagResourceCommand({
      ResourceARN: meeting.MeetingArn,
      Tags: [{ Key: 'one-more', Value: 'v' }],
    })), {
      name: 'TooManyTagsException',
      status: 400,
      message: 'Too many tags: a resource can have at most 50 tags',
    });
    assert.equal(error.ResourceName, meeting.MeetingArn);
    assert.equal((await tagsOf(meeting.MeetingArn)).length, 50);
  });

  test('ResourceNotFoundException for an ARN that names no meeting of the caller, naming it', async () => {
    const meeting = await newMeeting();
    const ended = await newMeeting();
    await fx.chime.send(new DeleteMeetingCommand({ MeetingId: ended.MeetingId }));
    const arns = [
      meetingArn(MISSING_ID),
      ended.MeetingArn,
      meeting.MeetingArn.replace(':us-east-1:', ':us-west-2:'),
      meeting.MeetingArn.replace(':123456789012:', ':210987654321:'),
    ];
    for (const arn of arns) {
      const notFound = { name: 'ResourceNotFoundException', status: 404, message: `Resource ${arn} not found` };
      const calls = [
        new ListTagsForResourceCommand({ ResourceARN: arn }),
        new TagResourceCommand({ ResourceARN: arn, Tags: tags(1) }),
        new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['k0'] }),
      ];
      for (const command of calls) {
        const error = await rejectsWith(fx.chime.send(command), notFound);
        assert.equal(error.ResourceName, arn);
      }
    }
  });

  test('BadRequestException for tags or ARNs the model refuses', async () => {
    const { MeetingArn } = await newMeeting();
    await rejectsWith(fx.chime.send(new TagResourceCommand({ ResourceARN: MeetingArn, Tags: tags(51) })), {
      name: 'BadRequestException',
      status: 400,
      message: "1 validation error detected: Value at 'Tags' failed to satisfy constraint: Member must have length less than or equal to 50",
    });
    await rejectsWith(fx.chime.send(new TagResourceCommand({
      ResourceARN: MeetingArn,
      Tags: [{ Key: 'k', Value: 'no#hash' }],
    })), {
      name: 'BadRequestException',
      status: 400,
      message: /^1 validation error detected: Value at 'Tags\[0\]\.Value' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    });
    await rejectsWith(fx.chime.send(new UntagResourceCommand({ ResourceARN: MeetingArn, TagKeys: tags(51).map((t) => t.Key) })), {
      name: 'BadRequestException',
      status: 400,
      message: /Value at 'TagKeys' failed to satisfy constraint/,
    });
    await rejectsWith(fx.chime.send(new ListTagsForResourceCommand({ ResourceARN: 'urn:not-an-arn' })), {
      name: 'BadRequestException',
      status: 400,
      message: /Value at 'ResourceARN' failed to satisfy constraint/,
    });
  });
});

describe('StartMeetingTranscription, StopMeetingTranscription', () => {
  test('start, start again with another configuration, stop, and stop again', async () => {
    const { MeetingId } = await newMeeting();
    const started = await fx.chime.send(new StartMeetingTranscriptionCommand({
      MeetingId,
      TranscriptionConfiguration: ENGLISH,
    }));
    assert.equal(started.$metadata.httpStatusCode, 200);
    await fx.chime.send(new StartMeetingTranscriptionCommand({
      MeetingId,
      TranscriptionConfiguration: {
        EngineTranscribeMedicalSettings: { LanguageCode: 'en-US', Specialty: 'PRIMARYCARE', Type: 'CONVERSATION' },
      },
    }));
    const stopped = await fx.chime.send(new StopMeetingTranscriptionCommand({ MeetingId }));
    assert.equal(stopped.$metadata.httpStatusCode, 200);
    await fx.chime.send(new StopMeetingTranscriptionCommand({ MeetingId }));
  });

  test('NotFoundException for a meeting that does not exist', async () => {
    const notFound = { name: 'NotFoundException', status: 404, message: `Meeting <${MISSING_ID}> not found` };
    await rejectsWith(fx.chime.send(new StartMeetingTranscriptionCommand({
      MeetingId: MISSING_ID,
      TranscriptionConfiguration: ENGLISH,
    })), notFound);
    await rejectsWith(fx.chime.send(new StopMeetingTranscriptionCommand({ MeetingId: MISSING_ID })), notFound);
  });

  test('BadRequestException for a configuration Amazon Transcribe would refuse', async () => {
    const { MeetingId } = await newMeeting();
    await rejectsWith(fx.chime.send(new StartMeetingTranscriptionCommand({
      MeetingId,
      TranscriptionConfiguration: { EngineTranscribeSettings: { Region: 'us-east-1' } },
    })), {
      name: 'BadRequestException',
      status: 400,
      message: /EngineTranscribeSettings must include LanguageCode or IdentifyLanguage$/,
    });
    await rejectsWith(fx.chime.send(new StartMeetingTranscriptionCommand({
      MeetingId,
      TranscriptionConfiguration: { EngineTranscribeSettings: { LanguageCode: 'xx-XX' } },
    })), {
      name: 'BadRequestException',
      status: 400,
      message: /^1 validation error detected: Value at 'TranscriptionConfiguration\.EngineTranscribeSettings\.LanguageCode' failed to satisfy constraint: Member must satisfy enum value set/,
    });
    await rejectsWith(fx.chime.send(new StopMeetingTranscriptionCommand({ MeetingId: 'a-meeting' })), {
      name: 'BadRequestException',
      status: 400,
      message: /Value at 'MeetingId' failed to satisfy constraint/,
    });
  });
});
