// The botocore service models the server is built from (crates/carillon-model/models): the
// operations of each API and the errors each models, so that the error tests follow the models
// rather than a copy of them.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../node-support/carillon-process.mjs';

const MODELS = path.join(REPO_ROOT, 'crates', 'carillon-model', 'models');

function load(file) {
  return JSON.parse(fs.readFileSync(path.join(MODELS, file), 'utf8'));
}

// The legacy `chime` model has 191 operations; the server serves its meeting operations only.
export const LEGACY_MEETING_OPERATIONS = [
  'CreateMeeting', 'CreateMeetingWithAttendees', 'GetMeeting', 'ListMeetings', 'DeleteMeeting',
  'CreateAttendee', 'BatchCreateAttendee', 'GetAttendee', 'ListAttendees', 'DeleteAttendee',
  'StartMeetingTranscription', 'StopMeetingTranscription',
  'TagMeeting', 'UntagMeeting', 'ListMeetingTags',
  'TagAttendee', 'UntagAttendee', 'ListAttendeeTags',
  'TagResource', 'UntagResource', 'ListTagsForResource',
];

// {operation: [{name, status}]} for the given operations of a model.
function modeledErrors(model, operations) {
  return Object.fromEntries(operations.map((operation) => {
    const errors = model.operations[operation].errors ?? [];
    return [operation, errors.map(({ shape }) => ({
      name: shape,
      status: model.shapes[shape].error.httpStatusCode,
    }))];
  }));
}

const current = load('chime-sdk-meetings-2021-07-15.json');
const legacy = load('chime-2018-05-01-with-meetings.json');

export const CURRENT_ERRORS = modeledErrors(current, Object.keys(current.operations));
export const LEGACY_ERRORS = modeledErrors(legacy, LEGACY_MEETING_OPERATIONS);
