// The legacy API's tags through @aws-sdk/client-chime: TagMeeting, UntagMeeting, ListMeetingTags,
// TagAttendee, UntagAttendee, ListAttendeeTags, and TagResource, UntagResource,
// ListTagsForResource on meeting ARNs; and the errors a real condition gives them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CreateAttendeeCommand,
  CreateMeetingCommand,
  ListAttendeeTagsCommand,
  ListMeetingTagsCommand,
  ListTagsForResourceCommand,
  TagAttendeeCommand,
  TagMeetingCommand,
  TagResourceCommand,
  UntagAttendeeCommand,
  UntagMeetingCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-chime';
import { serverWith } from '../lib/carillon.mjs';
import { MISSING_ID, legacyClient, meetingArn, unique } from '../lib/clients.mjs';
import { rejectsWith } from '../lib/expect.mjs';

const fx = serverWith(legacyClient);

function tags(count, prefix = 'k') {
  return Array.from({ length: count }, (_, i) => ({ Key: `${prefix}${i}`, Value: `v${i}` }));
}

function sorted(list) {
  return [...list].sort((a, b) => a.Key.localeCompare(b.Key));
}

async function newMeeting(members = {}) {
  return (await fx.chime.send(new CreateMeetingCommand(members))).Meeting.MeetingId;
}

async function newAttendee(MeetingId, members = {}) {
  const { Attendee } = await fx.chime.send(new CreateAttendeeCommand({ MeetingId, ExternalUserId: unique('user'), ...members }));
  return Attendee.AttendeeId;
}

describe('meeting tags', () => {
  test('an untagged meeting lists an empty Tags list, by MeetingId and by ARN', async () => {
    const meetingId = await newMeeting();
    const byId = await fx.chime.send(new ListMeetingTagsCommand({ MeetingId: meetingId }));
    assert.equal(byId.$metadata.httpStatusCode, 200);
    assert.deepEqual(byId.Tags, []);
    const byArn = await fx.chime.send(new ListTagsForResourceCommand({ ResourceARN: meetingArn(meetingId) }));
    assert.equal(byArn.$metadata.httpStatusCode, 200);
    assert.deepEqual(byArn.Tags, []);
  });

  test('TagMeeting and TagResource tag the same meeting; untagging an absent key is fine', async () => {
    const meetingId = await newMeeting({ Tags: [{ Key: 'team', Value: 'blue' }] });
    const arn = meetingArn(meetingId);
    assert.equal((await fx.chime.send(new TagMeetingCommand({
      MeetingId: meetingId,
      Tags: [{ Key: 'team', Value: 'green' }, { Key: 'Cost Center!', Value: 'R&D #4' }],
    }))).$metadata.httpStatusCode, 204);
    assert.equal((await fx.chime.send(new TagResourceCommand({
      ResourceARN: arn,
      Tags: [{ Key: 'env', Value: 'dev' }],
    }))).$metadata.httpStatusCode, 204);
    const expected = [{ Key: 'Cost Center!', Value: 'R&D #4' }, { Key: 'env', Value: 'dev' }, { Key: 'team', Value: 'green' }];
    assert.deepEqual(sorted((await fx.chime.send(new ListMeetingTagsCommand({ MeetingId: meetingId }))).Tags), expected);
    assert.deepEqual(sorted((await fx.chime.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags), expected);

    assert.equal((await fx.chime.send(new UntagMeetingCommand({ MeetingId: meetingId, TagKeys: ['env', 'never-set'] })))
      .$metadata.httpStatusCode, 204);
    assert.equal((await fx.chime.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['Cost Center!'] })))
      .$metadata.httpStatusCode, 204);
    assert.deepEqual((await fx.chime.send(new ListMeetingTagsCommand({ MeetingId: meetingId }))).Tags,
      [{ Key: 'team', Value: 'green' }]);
  });

  test('ResourceLimitExceededException past 50 tags; BadRequestException for 51 in one request', async () => {
    const meetingId = await newMeeting({ Tags: tags(50) });
    await rejectsWith(fx.chime.send(new TagMeetingCommand({ MeetingId: meetingId, Tags: [{ Key: 'one-more', Value: 'v' }] })), {
      name: 'ResourceLimitExceededException',
      status: 400,
      message: 'Too many tags: a resource can have at most 50 tags',
    });
    // TagResource does not model ResourceLimitExceededException in the legacy API.
    await rejectsWith(fx.chime.send(new TagResourceCommand({ ResourceARN: meetingArn(meetingId), Tags: [{ Key: 'one-more', Value: 'v' }] })), {
      name: 'BadRequestException',
      status: 400,
      message: 'Too many tags: a resource can have at most 50 tags',
    });
    const other = await newMeeting();
    await rejectsWith(fx.chime.send(new TagMeetingCommand({ MeetingId: other, Tags: tags(51) })), {
      name: 'BadRequestException',
      status: 400,
      message: "1 validation error detected: Value at 'Tags' failed to satisfy constraint: Member must have length less than or equal to 50",
    });
  });

  test('NotFoundException for an unknown meeting, by id or by ARN', async () => {
    const notFound = { name: 'NotFoundException', status: 404, message: `Meeting <${MISSING_ID}> not found` };
    await rejectsWith(fx.chime.send(new TagMeetingCommand({ MeetingId: MISSING_ID, Tags: tags(1) })), notFound);
    await rejectsWith(fx.chime.send(new UntagMeetingCommand({ MeetingId: MISSING_ID, TagKeys: ['k0'] })), notFound);
    await rejectsWith(fx.chime.send(new ListMeetingTagsCommand({ MeetingId: MISSING_ID })), notFound);
    const arn = meetingArn(MISSING_ID);
    const arnNotFound = { name: 'NotFoundException', status: 404, message: `Resource ${arn} not found` };
    await rejectsWith(fx.chime.send(new ListTagsForResourceCommand({ ResourceARN: arn })), arnNotFound);
    await rejectsWith(fx.chime.send(new TagResourceCommand({ ResourceARN: arn, Tags: tags(1) })), arnNotFound);
    await rejectsWith(fx.chime.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['k0'] })), arnNotFound);
  });

  test('BadRequestException for tags or ARNs the model refuses', async () => {
    const meetingId = await newMeeting();
    await rejectsWith(fx.chime.send(new TagMeetingCommand({ MeetingId: meetingId, Tags: [{ Key: 'k', Value: '' }] })), {
      name: 'BadRequestException',
      status: 400,
      message: "1 validation error detected: Value at 'Tags[0].Value' failed to satisfy constraint: Member must have length greater than or equal to 1",
    });
    await rejectsWith(fx.chime.send(new UntagMeetingCommand({ MeetingId: meetingId, TagKeys: [] })), {
      name: 'BadRequestException',
      status: 400,
      message: "1 validation error detected: Value at 'TagKeys' failed to satisfy constraint: Member must have length greater than or equal to 1",
    });
    await rejectsWith(fx.chime.send(new ListTagsForResourceCommand({ ResourceARN: 'not-an-arn' })), {
      name: 'BadRequestException',
      status: 400,
      message: /^1 validation error detected: Value at 'ResourceARN' failed to satisfy constraint/,
    });
  });
});

describe('attendee tags', () => {
  test('an untagged attendee lists an empty Tags list; tags added, overwritten, removed', async () => {
    const meetingId = await newMeeting();
    const attendeeId = await newAttendee(meetingId);
    const ids = { MeetingId: meetingId, AttendeeId: attendeeId };
    const empty = await fx.chime.send(new ListAttendeeTagsCommand(ids));
    assert.equal(empty.$metadata.httpStatusCode, 200);
    assert.deepEqual(empty.Tags, []);
    assert.equal((await fx.chime.send(new TagAttendeeCommand({
      ...ids,
      Tags: [{ Key: 'team', Value: 'blue' }, { Key: 'seat', Value: '7' }],
    }))).$metadata.httpStatusCode, 204);
    await fx.chime.send(new TagAttendeeCommand({ ...ids, Tags: [{ Key: 'team', Value: 'red' }] }));
    assert.deepEqual(sorted((await fx.chime.send(new ListAttendeeTagsCommand(ids))).Tags),
      [{ Key: 'seat', Value: '7' }, { Key: 'team', Value: 'red' }]);
    assert.equal((await fx.chime.send(new UntagAttendeeCommand({ ...ids, TagKeys: ['seat', 'never-set'] })))
      .$metadata.httpStatusCode, 204);
    assert.deepEqual((await fx.chime.send(new ListAttendeeTagsCommand(ids))).Tags, [{ Key: 'team', Value: 'red' }]);
    // An attendee's tags are not its meeting's.
    assert.deepEqual((await fx.chime.send(new ListMeetingTagsCommand({ MeetingId: meetingId }))).Tags, []);
  });

  test('ResourceLimitExceededException past 10 tags, counting those given at creation', async () => {
    const meetingId = await newMeeting();
    const attendeeId = await newAttendee(meetingId, { Tags: tags(10) });
    await rejectsWith(fx.chime.send(new TagAttendeeCommand({
      MeetingId: meetingId,
      AttendeeId: attendeeId,
      Tags: [{ Key: 'extra', Value: 'v' }],
    })), {
      name: 'ResourceLimitExceededException',
      status: 400,
      message: 'Too many tags: a resource can have at most 10 tags',
    });
    await rejectsWith(fx.chime.send(new TagAttendeeCommand({ MeetingId: meetingId, AttendeeId: attendeeId, Tags: tags(11) })), {
      name: 'BadRequestException',
      status: 400,
      message: "1 validation error detected: Value at 'Tags' failed to satisfy constraint: Member must have length less than or equal to 10",
    });
  });

  test('NotFoundException for an unknown meeting or attendee', async () => {
    const meetingId = await newMeeting();
    for (const [ids, message] of [
      [{ MeetingId: MISSING_ID, AttendeeId: MISSING_ID }, `Meeting <${MISSING_ID}> not found`],
      [{ MeetingId: meetingId, AttendeeId: MISSING_ID }, `Attendee <${MISSING_ID}> not found`],
    ]) {
      const notFound = { name: 'NotFoundException', status: 404, message };
      await rejectsWith(fx.chime.send(new TagAttendeeCommand({ ...ids, Tags: tags(1) })), notFound);
      await rejectsWith(fx.chime.send(new UntagAttendeeCommand({ ...ids, TagKeys: ['k0'] })), notFound);
      await rejectsWith(fx.chime.send(new ListAttendeeTagsCommand(ids)), notFound);
    }
  });
});
