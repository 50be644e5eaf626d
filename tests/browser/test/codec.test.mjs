// codec.mjs, the command line over the SDK's own frame codec: both directions, and its errors.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CODEC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'codec.mjs');

function run(mode, lines) {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [CODEC, mode], (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(stdout.split('\n').filter(Boolean));
    });
    child.stdin.end(lines.map((line) => `${line}\n`).join(''));
  });
}

const FRAMES = [
  {
    hex: '0508fbd095ffbc3110022a021800',
    json: { timestampMs: '1700000000123', type: 'JOIN_ACK', joinack: { wantsCompressedSdp: false } },
  },
  {
    hex: '0508c8d395ffbc311013a2010408021007',
    json: { timestampMs: '1700000000456', type: 'PING_PONG', pingPong: { type: 'PONG', pingId: 7 } },
  },
];

test('codec.mjs decodes and encodes JOIN_ACK and PING_PONG frames', async () => {
  const decoded = await run('decode', FRAMES.map((f) => f.hex));
  assert.deepEqual(decoded.map((line) => JSON.parse(line)), FRAMES.map((f) => f.json));
  const encoded = await run('encode', FRAMES.map((f) => JSON.stringify(f.json)));
  assert.deepEqual(encoded, FRAMES.map((f) => f.hex));
});

test('codec.mjs reports bad lines on their own line', async () => {
  const decoded = await run('decode', ['0212', '05', 'zz']);
  assert.deepEqual(decoded.map((line) => JSON.parse(line)), [
    { error: 'first byte is 0x02, not 0x05' },
    { error: "missing required 'timestampMs'" },
    { error: 'not an even number of hex digits' },
  ]);
  const encoded = (await run('encode', [
    '{"type":"JOIN_ACK"}',
    '{"timestampMs":"5","type":"PING_PONG","pingPong":{"type":"PING"}}',
    '{"timestampMs":"5","type":"JOIN_ACK","joinack":{"wantsCompresedSdp":false}}',
  ])).map((line) => JSON.parse(line));
  assert.match(encoded[0].error, /missing required field timestampMs/);
  assert.match(encoded[1].error, /missing required field pingPong\.pingId/);
  assert.match(encoded[2].error, /joinack\.wantsCompresedSdp: not a field/);
});
