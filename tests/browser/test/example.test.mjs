// The example page (examples/browser), used as a person would: two tabs paste the CreateMeeting
// and CreateAttendee output into its form, join, see each other in the roster, chat and mute.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { hearAudioElement, Tab } from '../lib/browser.mjs';
import { createAttendee, createMeeting, REPO_ROOT } from '../lib/carillon.mjs';
import { START_TIMEOUT_MS, useFixture } from '../lib/fixture.mjs';

const fx = useFixture();
const EXAMPLE = path.join(REPO_ROOT, 'examples', 'browser');
let example = null;

before(async () => {
  if (!fs.existsSync(path.join(EXAMPLE, 'build', 'app.js'))) {
    throw new Error('examples/browser is not built: npm --prefix examples/browser ci && npm --prefix examples/browser run build');
  }
  const { serveExample } = await import(path.join(EXAMPLE, 'serve.mjs'));
  example = await serveExample({ port: 0 });
});
after(() => example?.close());

// The roster's lines in a tab, as {attendeeId, muted, name}.
function rosterOf(tab) {
  return tab.page.$$eval('#roster li', (items) => items.map((item) => ({
    attendeeId: item.dataset.attendeeId,
    muted: item.dataset.muted === 'true',
    speaking: item.dataset.speaking === 'true',
    name: item.querySelector('.name').textContent,
  })));
}

async function failure(tab, what, last) {
  const status = await tab.page.textContent('#status').catch(() => '(no status)');
  return new Error(`[${tab.name}] ${what}: last seen ${JSON.stringify(last)}; status "${status}"\n` +
    `console:\n  ${tab.console.join('\n  ')}`);
}

// Polls `check` until it returns true; anything else it returns is shown on time-out. Gives up at
// once when the page shows an error status.
async function waitUntil(tab, what, check, timeout = 20000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last === true) return;
    if (await tab.page.$('#status.error')) throw await failure(tab, what, last);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw await failure(tab, what, last);
}

test('two tabs join through the example page, see each other, chat and mute', { timeout: 120000 }, async (t) => {
  const meeting = await createMeeting(fx.server);
  const people = await Promise.all(['alice', 'bob'].map(async (name) => {
    const attendee = await createAttendee(fx.server, meeting, `${name}-${Date.now()}`);
    const tab = await Tab.open(fx.browser, `${example.url}/`, name);
    t.after(() => tab.close());
    return { name, attendee, tab, externalUserId: attendee.Attendee.ExternalUserId };
  }));

  // Paste what the AWS CLI prints (pretty-printed JSON) and join.
  await Promise.all(people.map(async ({ tab, attendee }) => {
    await tab.page.fill('#meeting-json', JSON.stringify(meeting, null, 4));
    await tab.page.fill('#attendee-json', JSON.stringify(attendee, null, 4));
    await tab.page.click('#join');
  }));
  for (const { tab, externalUserId } of people) {
    await waitUntil(tab, 'joined', async () =>
      (await tab.page.isVisible('#meeting')) || (await tab.page.textContent('#status')), START_TIMEOUT_MS);
    assert.match(await tab.page.textContent('#status'), new RegExp(externalUserId));
  }

  // Each sees both in the roster, itself marked.
  for (const { tab, externalUserId: own } of people) {
    await waitUntil(tab, 'roster lists both', async () => {
      const names = (await rosterOf(tab)).map((entry) => entry.name).sort();
      const expected = people.map((p) => (p.externalUserId === own ? `${p.externalUserId} (you)` : p.externalUserId)).sort();
      return JSON.stringify(names) === JSON.stringify(expected) || names;
    });
  }

  // Chat both ways.
  const [alice, bob] = people;
  for (const [from, to] of [[alice, bob], [bob, alice]]) {
    const text = `hi ${to.name}, ${from.name} here`;
    await from.tab.page.fill('#chat-input', text);
    await from.tab.page.click('#chat-send');
    await waitUntil(to.tab, `chat from ${from.name}`, async () => {
      const lines = await to.tab.page.$$eval('#chat-log li', (items) => items.map((item) => item.textContent));
      return lines.includes(`${from.externalUserId}${text}`) || lines;
    });
  }
  // Each log holds the two messages once: one sent (shown locally), one received.
  for (const { tab } of people) {
    assert.equal(await tab.page.locator('#chat-log li').count(), 2);
  }

  // The test tone: the other tab hears it, and its roster shows the player speaking.
  const hz = Number(await alice.tab.page.getAttribute('#tone', 'data-hz'));
  await alice.tab.page.click('#tone');
  await waitUntil(alice.tab, 'tone playing', async () =>
    (await alice.tab.page.textContent('#tone')) === 'Stop test tone' || false);
  await waitUntil(bob.tab, 'alice shown speaking', async () => {
    const entry = (await rosterOf(bob.tab)).find((e) => e.name === alice.externalUserId);
    return entry?.speaking === true || entry;
  });
  await waitUntil(bob.tab, `bob hears alice's ${hz} Hz tone`, async () => {
    const heard = await hearAudioElement(bob.tab.page, '#meeting-audio', [hz], 1000);
    return (heard?.tones[hz] ?? -Infinity) > -45 || heard;
  });
  await alice.tab.page.click('#tone');

  // Mute: the other tab's roster shows it.
  await alice.tab.page.click('#mute');
  await waitUntil(alice.tab, 'mute button says Unmute', async () =>
    (await alice.tab.page.textContent('#mute')) === 'Unmute' || false);
  await waitUntil(bob.tab, 'alice shown muted', async () => {
    const entry = (await rosterOf(bob.tab)).find((e) => e.name === alice.externalUserId);
    return entry?.muted === true || entry;
  });

  // Leave: the page goes back to its form, and the other roster drops the leaver.
  await bob.tab.page.click('#leave');
  await waitUntil(bob.tab, 'left', async () => (await bob.tab.page.textContent('#status')).includes('You left') || false);
  await waitUntil(alice.tab, 'bob gone from the roster', async () => {
    const names = (await rosterOf(alice.tab)).map((entry) => entry.name);
    return (names.length === 1 && names[0] === `${alice.externalUserId} (you)`) || names;
  });
});
