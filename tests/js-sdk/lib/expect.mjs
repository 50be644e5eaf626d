// Assertions on what an app sees of a failed call: the SDK's error object.
import assert from 'node:assert/strict';

const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Awaits `promise`, which must reject with an SDK service error named `name` with HTTP `status`
// and a message equal to `message` (a string) or matching it (a RegExp). Returns the error for
// further checks.
export async function rejectsWith(promise, { name, status, message }) {
  let error;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  assert.ok(error, `expected ${name}, the call succeeded`);
  assert.equal(error.name, name, `${error.name}: ${error.message}`);
  assert.equal(error.$metadata?.httpStatusCode, status, `status of ${name}`);
  assert.equal(error.$fault, status >= 500 ? 'server' : 'client', `$fault of ${name}`);
  if (message instanceof RegExp) {
    assert.match(error.message, message);
  } else {
    assert.equal(error.message, message);
  }
  assert.match(error.$metadata.requestId ?? '', REQUEST_ID, 'the x-amzn-RequestId of the answer');
  return error;
}
