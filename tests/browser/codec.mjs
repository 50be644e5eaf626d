#!/usr/bin/env node
// Cross-checks signaling frames against the Amazon Chime SDK for JavaScript's own protobufjs codec
// (build/signalingprotocol/SignalingProtocol.js in the npm package, SdkSignalFrame).
//
//   node codec.mjs decode   stdin: one frame per line, hex, INCLUDING the leading 0x05 byte the
//                           WebSocket message starts with. stdout: one JSON line per frame,
//                           SdkSignalFrame.toObject(frame, {longs: String, enums: String,
//                           bytes: String, defaults: false}) (bytes as base64), or
//                           {"error": "..."} when the line is not a frame the SDK can decode.
//   node codec.mjs encode   stdin: one JSON object per line, in that same toObject form (64-bit
//                           integers and enums may also be given as JSON numbers).
//                           stdout: one line per object, the hex of 0x05 + SdkSignalFrame.encode(
//                           SdkSignalFrame.fromObject(object)), or {"error": "..."} when the object
//                           fails SdkSignalFrame.verify, misses a required field, or has a field
//                           that is not in the schema (fromObject would drop it silently).
//
// Blank input lines are skipped. Per-line errors keep the exit status 0 (one output line per
// input line, in order); a usage error exits with 2.
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';
import fs from 'node:fs';
import readline from 'node:readline';

const require = createRequire(import.meta.url);
const protocolPath = require.resolve('amazon-chime-sdk-js/build/signalingprotocol/SignalingProtocol.js');
const protocol = require(protocolPath);
const { SdkSignalFrame } = protocol;

const FRAME_PREFIX = 0x05;
const TO_OBJECT = { longs: String, enums: String, bytes: String, defaults: false };

// proto2 `required` fields per message type, read off the generated decoders (which throw
// "missing required '<field>'"). fromObject leaves a missing required field unset and encode then
// writes its default, so they are checked before encoding.
const REQUIRED = (() => {
  const required = new Map();
  let current = null;
  for (const line of fs.readFileSync(protocolPath, 'utf8').split('\n')) {
    const decoder = /^\s*(\w+)\.decode = function decode\(/.exec(line);
    if (decoder) current = decoder[1];
    const missing = /missing required '(\w+)'/.exec(line);
    if (missing && current) {
      if (!required.has(current)) required.set(current, []);
      required.get(current).push(missing[1]);
    }
  }
  return required;
})();

// A message instance of the generated code (not a Long, a byte array or a plain value).
function isMessage(value) {
  return Boolean(value) && typeof value === 'object' && typeof value.constructor?.decode === 'function';
}

// The first required field missing anywhere in `message` (a generated message instance), as a
// path, or null.
function missingRequired(message, where = '') {
  for (const field of REQUIRED.get(message.constructor.name) ?? []) {
    if (!Object.prototype.hasOwnProperty.call(message, field)) return `${where}${field}`;
  }
  for (const [key, value] of Object.entries(message)) {
    const items = Array.isArray(value) ? value.map((item, i) => [`${key}[${i}]`, item]) : [[key, value]];
    for (const [path, item] of items) {
      if (!isMessage(item)) continue;
      const found = missingRequired(item, `${where}${path}.`);
      if (found) return found;
    }
  }
  return null;
}

// JSON's view of a toObject result (numbers for 32-bit integers, strings for 64-bit ones, enum
// names, base64 bytes), for comparing with the input.
function canonical(value) {
  return JSON.parse(JSON.stringify(value));
}

// The first difference between the input and what the schema kept of it, as a message, or null.
function difference(input, kept, where = '') {
  if (isDeepStrictEqual(input, kept)) return null;
  // A 64-bit integer given as a JSON number, or an enum given by its number (verify has checked
  // that it is one of the enum's values).
  if (typeof input === 'number' && typeof kept === 'string') {
    if (String(input) === kept || !/^-?\d+$/.test(kept)) return null;
  }
  const bothObjects = input && kept && typeof input === 'object' && typeof kept === 'object'
    && Array.isArray(input) === Array.isArray(kept);
  if (bothObjects) {
    for (const key of new Set([...Object.keys(input), ...Object.keys(kept)])) {
      const path = Array.isArray(input) ? `${where}[${key}]` : `${where}${where ? '.' : ''}${key}`;
      if (!(key in kept)) return `${path}: not a field of the schema, or not settable as given`;
      if (!(key in input)) return `${path}: added by the schema as ${JSON.stringify(kept[key])}`;
      const inner = difference(input[key], kept[key], path);
      if (inner) return inner;
    }
    return null;
  }
  return `${where || 'frame'}: ${JSON.stringify(input)} is read as ${JSON.stringify(kept)}`;
}

function decodeLine(line) {
  const hex = line.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) return { error: 'not an even number of hex digits' };
  const bytes = Buffer.from(hex, 'hex');
  if (bytes[0] !== FRAME_PREFIX) {
    return { error: `first byte is 0x${bytes[0].toString(16).padStart(2, '0')}, not 0x05` };
  }
  try {
    const frame = SdkSignalFrame.decode(bytes.subarray(1));
    return SdkSignalFrame.toObject(frame, TO_OBJECT);
  } catch (error) {
    return { error: error.message };
  }
}

function encodeLine(line) {
  let input;
  try {
    input = JSON.parse(line);
  } catch (error) {
    return { error: `not JSON: ${error.message}` };
  }
  if (!input || typeof input !== 'object' || Array.isArray(input)) return { error: 'not a JSON object' };
  let frame;
  try {
    frame = SdkSignalFrame.fromObject(input);
  } catch (error) {
    return { error: `fromObject: ${error.message}` };
  }
  const invalid = SdkSignalFrame.verify(frame);
  if (invalid) return { error: `verify: ${invalid}` };
  const missing = missingRequired(frame);
  if (missing) return { error: `missing required field ${missing}` };
  const different = difference(canonical(input), canonical(SdkSignalFrame.toObject(frame, TO_OBJECT)));
  if (different) return { error: different };
  const body = SdkSignalFrame.encode(frame).finish();
  return Buffer.concat([Buffer.from([FRAME_PREFIX]), body]).toString('hex');
}

const mode = process.argv[2];
const convert = { decode: decodeLine, encode: encodeLine }[mode];
if (!convert || process.argv.length > 3) {
  process.stderr.write('usage: node codec.mjs decode|encode < lines\n');
  process.exit(2);
}

const output = [];
for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (line.trim() === '') continue;
  const result = convert(line);
  output.push(typeof result === 'string' ? result : JSON.stringify(result));
  if (output.length >= 256) {
    process.stdout.write(`${output.join('\n')}\n`);
    output.length = 0;
  }
}
if (output.length) process.stdout.write(`${output.join('\n')}\n`);
