// The admin listener's dashboard in headless Chromium: it loads without a console error, shows
// meetings, attendees' presence and events as they happen, sets a fault rule that the API then
// answers with, and moves the clock until a meeting ends. With DASHBOARD_SCREENSHOTS=DIR it
// saves the screenshots the README shows.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CreateAttendeeCommand, GetMeetingCommand } from '@aws-sdk/client-chime-sdk-meetings';
import { launchChromium } from '../lib/browser.mjs';
import { createAttendee, createMeeting, startCarillon, unique } from '../lib/carillon.mjs';

const TOKEN = 'dashboard-test-token';
const SCREENSHOTS = process.env.DASHBOARD_SCREENSHOTS;

let server;
let browser;
let page;
const problems = [];

async function admin(method, route, body) {
  const response = await fetch(`${server.adminEndpoint}${route}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${route}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// The text of the table's rows, once one of them contains `wanted`.
async function rowWith(table, wanted, timeout = 15000) {
  const row = page.locator(`#${table} tbody tr`, { hasText: wanted }).first();
  await row.waitFor({ timeout });
  return row.innerText();
}

async function screenshot(name) {
  if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

before(async () => {
  server = await startCarillon({
    args: ['--admin-listen', '127.0.0.1:0', '--admin-token', TOKEN, '--time-control', 'on'],
  });
  assert.ok(server.adminEndpoint, 'the admin listener is up');
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('requestfailed', (request) => {
    // The live stream is aborted when the page goes away; nothing else may fail.
    if (!request.url().includes('/v1/events/stream')) problems.push(`failed: ${request.url()}`);
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('without the token the page asks for it, and a wrong one is asked again', async () => {
  await page.goto(`${server.adminEndpoint}/`);
  assert.equal(new URL(page.url()).pathname, '/dashboard/');
  await page.locator('#login').waitFor();
  await page.fill('#token', 'wrong');
  await page.click('#login button');
  await page.locator('#login-message', { hasText: 'The token was refused.' }).waitFor();
  assert.equal(await page.locator('#main').isHidden(), true);
});

test('meetings, presence and events show up live', async () => {
  await page.goto(`${server.adminEndpoint}/dashboard/#token=${TOKEN}`);
  await page.locator('#main').waitFor();
  // The token left the address bar.
  assert.equal(new URL(page.url()).hash, '');
  await page.locator('#events-live.on').waitFor();

  const meeting = await createMeeting(server);
  const meetingId = meeting.Meeting.MeetingId;
  const externalUserId = unique('dash');
  const attendee = await createAttendee(server, meeting, externalUserId);
  const attendeeId = attendee.Attendee.AttendeeId;

  const listed = await rowWith('meetings-table', meetingId);
  assert.match(listed, /meetings/);
  assert.match(await rowWith('events-table', 'chime:AttendeeAdded'), new RegExp(meetingId));

  await page.click(`#meetings-table tr[data-meeting-id="${meetingId}"]`);
  assert.match(await rowWith('attendees-table', attendeeId), /absent/);
  await admin('POST', `/v1/meetings/${meetingId}/attendees/${attendeeId}/presence`, { state: 'joined' });
  assert.match(await rowWith('attendees-table', 'present'), new RegExp(attendeeId));
  assert.match(await rowWith('events-table', 'chime:AttendeeJoined'), new RegExp(attendeeId));

  // Requests per second, from the metrics, once a reading follows some requests (some of them
  // beyond GetMeeting's rate quota: they show as errors and throttled requests).
  const deadline = Date.now() + 15000;
  while (Number(await page.locator('#rate-now').textContent()) <= 0) {
    assert.ok(Date.now() < deadline, 'no request rate shown');
    const get = () => server.meetings.send(new GetMeetingCommand({ MeetingId: meetingId }));
    await Promise.allSettled(Array.from({ length: 30 }, get));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await page.locator('#throttled', { hasText: 'GetMeeting' }).waitFor();
  await screenshot('dashboard');
});

test("an account's meeting quota shows beside its active meetings, as set at run time", async () => {
  await createMeeting(server);
  const { meetings } = await admin('GET', '/v1/meetings?limit=1');
  const account = meetings[0].accountId;
  // AWS's default, then what the admin API sets.
  assert.match(await rowWith('quota-table', account), /\t250$/);
  await admin('PUT', `/v1/quotas/accounts/${account}`, { max_active_meetings: 40, legacy_max_active_meetings: 5 });
  assert.match(await rowWith('quota-table', '40, legacy 5 (set at run time)'), new RegExp(account));
  const response = await fetch(`${server.adminEndpoint}/v1/quotas/accounts/${account}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(response.status, 204);
  const restored = page.locator('#quota-table tbody tr', { hasText: account }).filter({ hasNotText: 'run time' });
  await restored.first().waitFor({ timeout: 15000 });
  assert.match(await restored.first().innerText(), /\t250$/);
});

test('a fault rule set in the page is what the API answers', async () => {
  const meeting = await createMeeting(server);
  await page.selectOption('#fault-api', 'meetings');
  await page.fill('#fault-operation', 'CreateAttendee');
  await page.selectOption('#fault-action', 'error');
  await page.fill('#fault-value', 'ForbiddenException');
  await page.click('#fault-form button');
  const rule = await rowWith('faults-table', 'ForbiddenException');
  assert.match(rule, /CreateAttendee/);

  await assert.rejects(
    server.meetings.send(new CreateAttendeeCommand({
      MeetingId: meeting.Meeting.MeetingId,
      ExternalUserId: unique('refused'),
    })),
    (error) => error.name === 'ForbiddenException',
  );
  // The hit shows on the rule.
  await page.waitForFunction(() => {
    const row = [...document.querySelectorAll('#faults-table tbody tr')].find((r) => r.innerText.includes('ForbiddenException'));
    return row && row.cells[3].textContent === '1';
  });
  await screenshot('dashboard-faults');
  await page.click('#faults-table tbody tr button');
  await page.waitForFunction(() => document.querySelectorAll('#faults-table tbody tr').length === 0);
  await createAttendee(server, meeting, unique('allowed'));
});

test('advancing the clock from the page ends an idle meeting', async () => {
  const meeting = await createMeeting(server);
  const meetingId = meeting.Meeting.MeetingId;
  await rowWith('meetings-table', meetingId);
  await page.click('#clock-freeze');
  await page.locator('#clock-mode', { hasText: 'frozen' }).waitFor();
  await page.fill('#clock-by', '6m');
  await page.click('#clock-advance');
  await page.waitForFunction(
    (id) => !document.querySelector(`#meetings-table tr[data-meeting-id="${id}"]`),
    meetingId,
  );
  assert.match(await rowWith('events-table', 'chime:MeetingEnded'), new RegExp(meetingId));
  await page.click('#clock-resume');
  await page.locator('#clock-mode', { hasText: 'running' }).waitFor();
});

test('nothing went wrong in the page', () => {
  // The wrong token's 401 is the one expected failure a browser reports.
  const unexpected = problems.filter((p) => !/401 \(Unauthorized\)/.test(p));
  assert.deepEqual(unexpected, []);
});
