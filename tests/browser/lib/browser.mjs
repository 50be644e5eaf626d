// Headless Chromium (Debian's, driven by playwright-core) and the test page's tabs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveStatic } from './static-server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const PACKAGE_ROOT = path.resolve(HERE, '..');

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// The Chime SDK's log level in the page: WARN by default; BROWSER_TEST_SDK_LOG=info (or debug)
// while debugging. Console output of every tab is kept and shown when a wait fails; with
// BROWSER_TEST_ECHO=1 it is also printed as it comes.
export const SDK_LOG_LEVEL = (process.env.BROWSER_TEST_SDK_LOG ?? 'warn').toUpperCase();
const ECHO = Boolean(process.env.BROWSER_TEST_ECHO);
const KEPT_CONSOLE_LINES = 200;

export async function launchChromium() {
  const executablePath = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: apt-get install chromium (or set CHROMIUM_BIN)`);
  }
  // headless: false, since the headless mode is chosen by --headless=new above.
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: false });
}

// Serves the test page and the SDK bundle (build/chime-sdk.js, made by `npm run build`).
export async function serveTestPage() {
  const bundle = path.join(PACKAGE_ROOT, 'build', 'chime-sdk.js');
  if (!fs.existsSync(bundle)) {
    throw new Error(`${bundle} is missing: run \`npm run build\` in tests/browser first`);
  }
  return serveStatic(PACKAGE_ROOT, { index: 'page/index.html' });
}

// A tab of its own browser context (its own "user"), with its console output kept.
export class Tab {
  constructor(name, context, page) {
    this.name = name;
    this.context = context;
    this.page = page;
    this.console = [];
    this.closed = false;
    page.on('console', (message) => this.#keep(`${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => this.#keep(`pageerror: ${error.message}`));
  }

  static async open(browser, url, name) {
    const context = await browser.newContext({ permissions: ['microphone', 'camera'] });
    const page = await context.newPage();
    const tab = new Tab(name, context, page);
    await page.goto(url);
    return tab;
  }

  #keep(line) {
    if (ECHO) process.stderr.write(`[${this.name}] ${line}\n`);
    this.console.push(line);
    if (this.console.length > KEPT_CONSOLE_LINES) this.console.shift();
  }

  // The test page's recorded events (see page/harness.js).
  events() {
    return this.page.evaluate(() => window.harness.events.slice());
  }

  async eventsOf(kind) {
    return (await this.events()).filter((event) => event.kind === kind);
  }

  // Waits until an event of `kind` whose fields include all of `match` is recorded (at or after
  // `since`, a page clock time in ms, when given); resolves to it. Gives up at once when an event
  // of a kind in `failOn` comes first (by default didStop, unless that is what is awaited). On
  // failure, the error holds the tab's events and console output.
  async waitFor(kind, match = {}, { timeout = 20000, since = 0, failOn } = {}) {
    const stopKinds = failOn ?? (kind === 'didStop' ? [] : ['didStop']);
    let outcome;
    try {
      const handle = await this.page.waitForFunction(
        ([wantedKind, wanted, from, stops]) => {
          for (const event of window.harness.events) {
            if (event.at < from) continue;
            if (event.kind === wantedKind
                && Object.entries(wanted).every(([key, value]) => event[key] === value)) {
              return { found: event };
            }
            if (stops.includes(event.kind)) return { stopped: event };
          }
          return null;
        },
        [kind, match, since, stopKinds],
        { timeout, polling: 100 },
      );
      outcome = await handle.jsonValue();
    } catch (error) {
      throw new Error(
        `[${this.name}] no ${kind} event matching ${JSON.stringify(match)}: ${error.message}\n` +
          (await this.diagnostics()),
      );
    }
    if (outcome.stopped) {
      throw new Error(
        `[${this.name}] ${outcome.stopped.kind} ${JSON.stringify(outcome.stopped)} came before any ` +
          `${kind} event matching ${JSON.stringify(match)}\n${await this.diagnostics()}`,
      );
    }
    return outcome.found;
  }

  async diagnostics() {
    let events = '(page gone)';
    if (!this.closed) {
      try {
        events = JSON.stringify(await this.events(), null, 0).replaceAll('},{', '},\n  {');
      } catch (error) {
        events = `(unavailable: ${error.message})`;
      }
    }
    return `[${this.name}] events:\n  ${events}\n[${this.name}] console (last ${this.console.length} lines):\n  ` +
      this.console.join('\n  ');
  }

  // The page's clock (Date.now()), for `since`.
  now() {
    return this.page.evaluate(() => Date.now());
  }

  join(meeting, attendee, options = {}) {
    return this.page.evaluate(
      ([m, a, o]) => window.harness.join(m, a, o),
      [meeting, attendee, { logLevel: SDK_LOG_LEVEL, ...options }],
    );
  }

  mute() {
    return this.page.evaluate(() => window.harness.mute());
  }

  unmute() {
    return this.page.evaluate(() => window.harness.unmute());
  }

  sendData(topic, text) {
    return this.page.evaluate(([t, x]) => window.harness.sendData(t, x), [topic, text]);
  }

  stop() {
    return this.page.evaluate(() => window.harness.stop());
  }

  startVideo() {
    return this.page.evaluate(() => window.harness.startVideo());
  }

  // What the tab hears for `ms` (see hearAudioElement).
  hear(tones, ms = 1000) {
    return hearAudioElement(this.page, '#meeting-audio', tones, ms);
  }

  // {connectionState, totalAudioEnergy, packetsReceived} of the tab's peer connection.
  mediaStats() {
    return this.page.evaluate(() => window.harness.mediaStats());
  }

  // Closes the tab without letting the page say goodbye (as a crash or a killed tab would).
  async close() {
    if (this.closed) return;
    this.closed = true;
    await this.page.close({ runBeforeUnload: false }).catch(() => {});
    await this.context.close().catch(() => {});
  }
}

// What a page's <audio> element (the one the SDK binds the meeting's audio to) plays, read
// through a WebAudio analyser for `ms`. Resolves to {peak, tones: {hz: dBFS}}: the largest
// sample magnitude seen (0 is exact digital silence) and, for each frequency in `tones`, the
// strongest level of its FFT bin (or the bins next to it) over the window; null before the
// element has a stream.
export function hearAudioElement(page, selector, tones, ms = 1000) {
  return page.evaluate(async ([sel, wanted, duration]) => {
    const stream = document.querySelector(sel)?.srcObject;
    if (!stream || stream.getAudioTracks().length === 0) return null;
    // One analyser per stream, kept on the element between calls.
    const element = document.querySelector(sel);
    if (!element.carillonAnalyser || element.carillonAnalyser.stream !== stream) {
      const context = new AudioContext();
      await context.resume();
      const analyser = context.createAnalyser();
      analyser.fftSize = 8192;
      analyser.smoothingTimeConstant = 0;
      context.createMediaStreamSource(stream).connect(analyser);
      element.carillonAnalyser = { stream, context, analyser };
    }
    const { context, analyser } = element.carillonAnalyser;
    const spectrum = new Float32Array(analyser.frequencyBinCount);
    const samples = new Float32Array(analyser.fftSize);
    const binHz = context.sampleRate / analyser.fftSize;
    const levels = Object.fromEntries(wanted.map((hz) => [hz, -Infinity]));
    let peak = 0;
    const end = performance.now() + duration;
    while (performance.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      analyser.getFloatFrequencyData(spectrum);
      analyser.getFloatTimeDomainData(samples);
      for (const sample of samples) peak = Math.max(peak, Math.abs(sample));
      for (const hz of wanted) {
        const bin = Math.round(hz / binHz);
        for (let b = bin - 1; b <= bin + 1; b += 1) levels[hz] = Math.max(levels[hz], spectrum[b]);
      }
    }
    return { peak, tones: levels };
  }, [selector, tones, ms]);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
