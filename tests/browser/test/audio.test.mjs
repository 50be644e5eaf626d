// Meeting audio: three tabs, each sending its own tone through the Amazon Chime SDK, hear each
// other through Carillon's mixer: everyone else's tone, never their own; a muted tab drops out of
// the others' audio; the volume indicator follows who speaks; the connection is healthy.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sleep } from '../lib/browser.mjs';
import { updateCapabilities } from '../lib/carillon.mjs';
import { CONCURRENCY, useFixture } from '../lib/fixture.mjs';

const fx = useFixture();

const TONES = { alice: 440, bob: 660, carol: 880 };
const ALL = Object.values(TONES);
// A tone is heard when its FFT bin stands this high (dBFS): mixed, the SDK's synthesized tones
// arrive at about -35 dBFS in their bins. A tone is absent when it stays at least ABSENT_BELOW
// dB under the weakest tone heard (or under -60 dBFS when none is): a tone that is not in the
// mix reads -65 to -75, since 440 and 880 Hz are also third-order intermodulation products of
// the other two (2·660−880, 2·660−440), which the codec makes at about -30 dB.
const HEARD = -45;
const ABSENT_BELOW = 20;

async function threeTones(t) {
  return fx.joinedMeeting(t, Object.keys(TONES), (name) => ({ toneHz: TONES[name] }));
}

// Waits until `tab` hears `expected` tones and none of `silent` (the first second or two after
// joining is the jitter buffers filling); resolves to the last reading.
async function waitToHear(tab, expected, silent, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  let heard;
  while (Date.now() < end) {
    heard = await tab.hear(ALL, 1000);
    if (heard && expected.every((hz) => heard.tones[hz] > HEARD)) {
      const ceiling = Math.min(-40, ...expected.map((hz) => heard.tones[hz])) - ABSENT_BELOW;
      if (silent.every((hz) => heard.tones[hz] < ceiling)) return heard;
    }
  }
  assert.fail(`${tab.name} should hear ${expected} and not ${silent}: ${JSON.stringify(heard)}\n` +
    `media: ${JSON.stringify(await tab.mediaStats())}\n${await tab.diagnostics()}\n${fx.serverLog()}`);
}

// Three tabs each, every one encoding and decoding audio: at most two tests at a time, so that
// the tabs (and the debug build's mixer) are not starved of the two cores.
describe('meeting audio', { concurrency: Math.min(CONCURRENCY, 2) }, () => {
  test('each tab hears the others\' tones and not its own', { timeout: 120000 }, async (t) => {
    const { members } = await threeTones(t);
    for (const member of members) {
      const own = TONES[member.name];
      const heard = await waitToHear(member.tab, ALL.filter((hz) => hz !== own), [own]);
      if (process.env.AUDIO_TEST_PRINT) console.log(member.name, JSON.stringify(heard));
      const stats = await member.tab.mediaStats();
      assert.equal(stats.connectionState, 'connected', `${member.name}: ${JSON.stringify(stats)}`);
      assert.ok(stats.totalAudioEnergy > 0, `${member.name}: ${JSON.stringify(stats)}`);
    }
    // The server counts the three endpoints and the packets both ways.
    const metrics = await (await fetch(`${fx.server.endpoint}/metrics`)).text();
    const sample = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    assert.ok(sample('carillon_audio_endpoints') >= 3, metrics);
    assert.ok(sample('carillon_audio_packets_total\\{direction="received"\\}') > 0, metrics);
    assert.ok(sample('carillon_audio_packets_total\\{direction="sent"\\}') > 0, metrics);
  });

  test('a muted tab drops out of the others\' audio, and comes back', { timeout: 120000 }, async (t) => {
    const { members: [alice, bob, carol] } = await threeTones(t);
    await waitToHear(bob.tab, [440, 880], [660]);
    await alice.tab.mute();
    await waitToHear(bob.tab, [880], [440, 660]);
    await waitToHear(carol.tab, [660], [440, 880]);
    await alice.tab.unmute();
    await waitToHear(bob.tab, [440, 880], [660]);
  });

  test('when only a muted tab was speaking, the others hear exact silence', { timeout: 120000 }, async (t) => {
    const { members: [alice, bob] } = await fx.joinedMeeting(t, ['alice', 'bob'], (name) =>
      (name === 'alice' ? { toneHz: 440 } : {}));
    // bob's microphone is Chromium's fake device; mute it so that only alice speaks.
    await bob.tab.mute();
    await waitToHear(bob.tab, [440], []);
    await alice.tab.mute();
    const end = Date.now() + 10000;
    let heard;
    do {
      heard = await bob.tab.hear([440], 1000);
    } while (heard.peak !== 0 && Date.now() < end);
    assert.equal(heard.peak, 0, `bob hears exact silence: ${JSON.stringify(heard)}`);
  });

  test('UpdateAttendeeCapabilities applies to a live session', { timeout: 120000 }, async (t) => {
    const { meeting, members: [alice, bob] } = await threeTones(t);
    await waitToHear(bob.tab, [440, 880], [660]);
    // Receive: alice still hears, and is heard by no one.
    await updateCapabilities(fx.server, meeting, alice.attendee,
      { Audio: 'Receive', Video: 'None', Content: 'None' });
    await waitToHear(bob.tab, [880], [440, 660]);
    await waitToHear(alice.tab, [660, 880], [440]);
    await updateCapabilities(fx.server, meeting, alice.attendee,
      { Audio: 'SendReceive', Video: 'None', Content: 'None' });
    await waitToHear(bob.tab, [440, 880], [660]);
  });

  test('audio goes on when the client renegotiates (its camera starts)', { timeout: 120000 }, async (t) => {
    const { members: [alice, bob] } = await threeTones(t);
    await waitToHear(bob.tab, [440, 880], [660]);
    const before = await alice.tab.now();
    await alice.tab.startVideo();
    await alice.tab.waitFor('frameSent', { type: 'SUBSCRIBE' }, { since: before });
    await alice.tab.waitFor('frameReceived', { type: 'SUBSCRIBE_ACK' }, { since: before });
    await waitToHear(bob.tab, [440, 880], [660]);
    await waitToHear(alice.tab, [660, 880], [440]);
    const stats = await alice.tab.mediaStats();
    assert.equal(stats.connectionState, 'connected', JSON.stringify(stats));
  });

  test('the volume indicator shows who speaks', { timeout: 120000 }, async (t) => {
    const { members: [alice, bob] } = await threeTones(t);
    await bob.tab.waitFor('speaking', { attendeeId: alice.attendeeId, speaking: true });
    // The indicator may dip for a moment while the tones settle, so what is checked is the state
    // after the mute, not one transition: once the mute has reached the server, alice stays
    // silent on bob's page.
    await alice.tab.mute();
    await sleep(2000);
    const settled = await bob.tab.now();
    await sleep(3000);
    const speaking = (await bob.tab.eventsOf('speaking')).filter((e) => e.attendeeId === alice.attendeeId);
    assert.equal(speaking.at(-1)?.speaking, false, JSON.stringify(speaking));
    assert.deepEqual(speaking.filter((e) => e.at >= settled), [], 'alice spoke again while muted');
  });

  test('a minute of audio without connectionDidBecomePoor', { timeout: 180000 }, async (t) => {
    const { members } = await threeTones(t);
    await sleep(60000);
    for (const { tab, name } of members) {
      const events = await tab.events();
      assert.deepEqual(events.filter((e) => e.kind === 'poor'), [], `${name}:\n${await tab.diagnostics()}`);
      const stats = await tab.mediaStats();
      assert.equal(stats.connectionState, 'connected', `${name}: ${JSON.stringify(stats)}`);
      assert.ok(stats.packetsReceived > 2500, `${name} received ${stats.packetsReceived} packets in a minute`);
      // The server's RTCP: receiver reports on the tab's audio, sender reports on its own.
      assert.ok(stats.receiverReportRtt !== null, `${name}: no receiver report: ${JSON.stringify(stats)}`);
      assert.ok(stats.senderReports > 0, `${name}: no sender report: ${JSON.stringify(stats)}`);
    }
  });
});
