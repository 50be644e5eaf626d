// What every browser test file shares: one Carillon server, one Chromium and one test page server
// per file. Each test makes its own meeting and its own tabs (one browser context each).
import { after, before } from 'node:test';
import { launchChromium, serveTestPage, Tab } from './browser.mjs';
import { createAttendee, createMeeting, startCarillon } from './carillon.mjs';

// Tests of one file run this many at a time (each has two tabs or so).
export const CONCURRENCY = Number(process.env.BROWSER_TEST_CONCURRENCY ?? 4);

// Time for one tab to reach audioVideoDidStart (the SDK's own connection timeout is 15 s).
export const START_TIMEOUT_MS = 30000;

export function useFixture() {
  const fixture = { server: null, browser: null, site: null };
  before(async () => {
    [fixture.server, fixture.browser, fixture.site] = await Promise.all([
      startCarillon(),
      launchChromium(),
      serveTestPage(),
    ]);
  });
  after(async () => {
    await fixture.browser?.close().catch(() => {});
    await fixture.site?.close();
    await fixture.server?.stop();
  });

  // A tab on the test page, closed when test `t` ends. On failure its diagnostics are printed.
  fixture.openTab = async (t, name) => {
    const tab = await Tab.open(fixture.browser, `${fixture.site.url}/`, name);
    t.after(() => tab.close());
    return tab;
  };

  // A fresh meeting with one attendee per name (external user id `<name>-<n>`), each joined in a
  // tab of its own, all at once; resolves once every tab has reached audioVideoDidStart.
  // Resolves to {meeting, members: [{name, attendee, tab, attendeeId, externalUserId}]}.
  // `joinOptions` is the same for every tab, or a function of the member's name giving each its
  // own.
  fixture.joinedMeeting = async (t, names, joinOptions = {}) => {
    const meeting = await createMeeting(fixture.server);
    const members = await Promise.all(names.map(async (name, index) => {
      const attendee = await createAttendee(fixture.server, meeting, `${name}-${index}-${Date.now()}`);
      const tab = await fixture.openTab(t, name);
      return {
        name,
        attendee,
        tab,
        attendeeId: attendee.Attendee.AttendeeId,
        externalUserId: attendee.Attendee.ExternalUserId,
      };
    }));
    await Promise.all(members.map(async (member) => {
      const options = typeof joinOptions === 'function' ? joinOptions(member.name) : joinOptions;
      await member.tab.join(meeting, member.attendee, options);
      await member.tab.waitFor('didStart', {}, { timeout: START_TIMEOUT_MS });
    }));
    return { meeting, members };
  };

  // The server's recent log, for failure messages.
  fixture.serverLog = () => fixture.server?.stderr() ?? '';
  return fixture;
}
