// The dashboard: the admin API read every couple of seconds, and the event log followed live.
// Plain DOM and fetch, nothing to build. The token is asked for once and kept in this tab's
// sessionStorage (or given in the address as #token=…, which never reaches a server's logs).
'use strict';

const POLL_MS = 2000;
const CHART_POINTS = 60;
const EVENTS_KEPT = 200;

const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem('carillon-admin-token');
let selectedMeeting = null;

// ---- The admin API ----

class Unauthorized extends Error {}

async function api(path, { method = 'GET', body } = {}) {
  const headers = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) throw new Unauthorized();
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) throw Object.assign(new Error(json?.message ?? `${response.status}`), { status: response.status });
  return json;
}

// What to do when a part of the page could not be refreshed: ask for the token again when it
// was refused, otherwise say so in the status line until that part works again.
function failed(name) {
  return (error) => {
    if (error instanceof Unauthorized) askForToken('The token was refused.');
    else setStatus(name, error.message);
  };
}

// Runs `task` now and every POLL_MS.
function every(name, task) {
  const run = async () => {
    try {
      await task();
      clearStatus(name);
    } catch (error) {
      failed(name)(error);
    }
  };
  run();
  return setInterval(run, POLL_MS);
}

// What failed last, by part of the page, shown until that part works again.
const failures = new Map();
function showFailures() {
  $('status').textContent = [...failures].map(([name, message]) => `${name}: ${message}`).join(' · ');
}
function setStatus(name, message) {
  failures.set(name, message);
  showFailures();
}
function clearStatus(name) {
  if (failures.delete(name)) showFailures();
}

// ---- Rendering helpers ----

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text ?? '-';
  if (className) td.className = className;
  return td;
}

function fillTable(table, rows) {
  const body = $(table).tBodies[0];
  body.replaceChildren(...rows);
}

function row(cells) {
  const tr = document.createElement('tr');
  tr.append(...cells);
  return tr;
}

function time(ms) {
  return ms == null ? '-' : `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

function duration(text) {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return null;
  const unit = { ms: 1, s: 1000, m: 60000, h: 3600000 }[match[2] ?? 's'];
  return Number(match[1]) * unit;
}

// ---- The clock ----

async function refreshClock() {
  showClock(await api('/v1/time'));
}

function showClock(state) {
  $('clock-now').textContent = time(state.nowMs);
  const mode = $('clock-mode');
  mode.textContent = !state.controlled ? 'wall clock' : state.frozen ? 'frozen' : 'running';
  mode.className = `badge ${state.frozen ? 'frozen' : ''}`;
  $('clock-controls').hidden = !state.controlled;
}

async function clockAction(path, body) {
  try {
    showClock(await api(path, { method: 'POST', body }));
    clearStatus('clock');
    refreshMeetings().catch(failed('meetings'));
  } catch (error) {
    failed('clock')(error);
  }
}

// ---- Requests, from the Prometheus exposition ----

const series = { rate: [], errors: [], p99: [] };
let previous = null;

function parseMetrics(text) {
  const requests = { total: 0, errors: 0 };
  const buckets = new Map();
  const throttled = new Map();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line) continue;
    const match = /^([a-z_]+)(\{[^}]*\})? ([0-9.eE+-]+|\+Inf|NaN)/.exec(line);
    if (!match) continue;
    const [, name, labels = '', value] = match;
    const number = Number(value);
    if (name === 'carillon_requests_total') {
      requests.total += number;
      const status = /status="(\d+)"/.exec(labels)?.[1];
      if (status && Number(status) >= 400) requests.errors += number;
    } else if (name === 'carillon_request_duration_seconds_bucket') {
      const le = /le="([^"]+)"/.exec(labels)?.[1];
      buckets.set(le, (buckets.get(le) ?? 0) + number);
    } else if (name === 'carillon_throttled_total') {
      const operation = /operation="([^"]+)"/.exec(labels)?.[1] ?? '?';
      throttled.set(operation, (throttled.get(operation) ?? 0) + number);
    }
  }
  return { at: performance.now(), requests, buckets, throttled };
}

// The latency under which 99% of the requests between two readings fell (a bucket's bound).
function p99(now, before) {
  const bounds = [...now.buckets.keys()]
    .map((le) => ({ le, bound: le === '+Inf' ? Infinity : Number(le) }))
    .sort((a, b) => a.bound - b.bound);
  const count = (le) => now.buckets.get(le) - (before.buckets.get(le) ?? 0);
  const total = bounds.length ? count(bounds[bounds.length - 1].le) : 0;
  if (!total) return null;
  const wanted = total * 0.99;
  const found = bounds.find(({ le }) => count(le) >= wanted);
  return found && Number.isFinite(found.bound) ? found.bound * 1000 : null;
}

async function refreshMetrics() {
  const response = await fetch('/v1/metrics', { headers: { authorization: `Bearer ${token}` } });
  if (response.status === 401) throw new Unauthorized();
  if (!response.ok) throw new Error(`${response.status}`);
  const now = parseMetrics(await response.text());
  if (previous) {
    const seconds = (now.at - previous.at) / 1000;
    const rate = (now.requests.total - previous.requests.total) / seconds;
    const errors = (now.requests.errors - previous.requests.errors) / seconds;
    push('rate', rate, 'rate-now', rate.toFixed(1));
    push('errors', errors, 'errors-now', errors.toFixed(1));
    const latency = p99(now, previous);
    push('p99', latency ?? 0, 'p99-now', latency == null ? '-' : `≤ ${latency}`);
  }
  previous = now;
  showThrottled(now.throttled);
}

function push(name, value, label, text) {
  const points = series[name];
  points.push(value);
  if (points.length > CHART_POINTS) points.shift();
  $(label).textContent = text;
  draw($(`chart-${name}`), points);
}

function draw(canvas, points) {
  const context = canvas.getContext('2d');
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  const top = Math.max(...points, 1);
  context.strokeStyle = '#2f6fde';
  context.lineWidth = 1.5;
  context.beginPath();
  // The newest reading at the right edge, older ones to its left.
  const first = CHART_POINTS - points.length;
  points.forEach((value, i) => {
    const x = ((first + i) / (CHART_POINTS - 1)) * (width - 2) + 1;
    const y = height - 2 - (value / top) * (height - 6);
    if (i === 0) context.moveTo(x, y);
    else context.lineTo(x, y);
  });
  context.stroke();
}

// ---- Meetings, attendees, quota use ----

let throttledByOperation = new Map();
// Active meetings by account, in each API: [current, legacy].
let activeByAccount = new Map();
// GET /v1/quotas; null until read, 'off' with --quotas off (409, which never changes while the
// server runs: it is not asked again).
let quotas = null;

async function refreshQuotas() {
  if (quotas === 'off') return;
  try {
    quotas = await api('/v1/quotas');
  } catch (error) {
    if (error.status !== 409) throw error;
    quotas = 'off';
  }
  showQuota();
}

async function refreshMeetings() {
  const page = await api('/v1/meetings?state=active&limit=1000');
  const meetings = page.meetings;
  $('meetings-count').textContent = `${meetings.length}${page.next ? '+' : ''} active`;
  activeByAccount = new Map();
  for (const m of meetings) {
    const counts = activeByAccount.get(m.accountId) ?? [0, 0];
    counts[m.api === 'legacy' ? 1 : 0] += 1;
    activeByAccount.set(m.accountId, counts);
  }
  showQuota();
  fillTable(
    'meetings-table',
    meetings.map((m) => {
      const tr = row([
        cell(m.meetingId, 'id'),
        cell(m.api),
        cell(m.accountId),
        cell(m.externalMeetingId),
        cell(String(m.attendeeCount)),
        cell(time(m.createdAtMs)),
      ]);
      tr.className = `selectable${m.meetingId === selectedMeeting ? ' selected' : ''}`;
      tr.dataset.meetingId = m.meetingId;
      tr.addEventListener('click', () => {
        selectedMeeting = m.meetingId;
        refreshMeetings().catch(failed('meetings'));
      });
      return tr;
    }),
  );
  if (selectedMeeting && !meetings.some((m) => m.meetingId === selectedMeeting)) selectedMeeting = null;
  await refreshAttendees();
}

async function refreshAttendees() {
  $('meeting-detail').hidden = !selectedMeeting;
  if (!selectedMeeting) return;
  const id = encodeURIComponent(selectedMeeting);
  const [meeting, page] = await Promise.all([
    api(`/v1/meetings/${id}`),
    api(`/v1/meetings/${id}/attendees?limit=1000`),
  ]);
  $('detail-meeting').textContent = selectedMeeting;
  $('detail-events').textContent = `${meeting.eventCount} events`;
  fillTable(
    'attendees-table',
    page.attendees.map((a) => {
      const p = a.presence;
      const present = p.sessions > 0 || p.marked;
      const what = [p.sessions ? `${p.sessions} session${p.sessions > 1 ? 's' : ''}` : null, p.marked ? 'marked' : null, p.contentShare ? 'sharing content' : null]
        .filter(Boolean)
        .join(', ');
      return row([
        cell(a.attendeeId, 'id'),
        cell(a.externalUserId),
        cell(present ? `present (${what})` : 'absent', present ? 'present' : 'absent'),
        cell(a.capabilities ? `${a.capabilities.Audio}/${a.capabilities.Video}/${a.capabilities.Content}` : '-'),
      ]);
    }),
  );
}

function showThrottled(throttled) {
  throttledByOperation = throttled;
  showQuota();
}

function showQuota() {
  $('throttled').textContent = [...throttledByOperation].map(([op, n]) => `${op} ${n}`).join(', ') || '0';
  const own = quotas && quotas !== 'off' ? quotas.accounts : {};
  const accounts = [...new Set([...activeByAccount.keys(), ...Object.keys(own)])].sort();
  fillTable(
    'quota-table',
    accounts.map((account) => {
      const [current, legacy] = activeByAccount.get(account) ?? [0, 0];
      const active = legacy ? `${current} + ${legacy} legacy` : String(current);
      return row([cell(account), cell(active), cell(maxActive(account))]);
    }),
  );
}

// The account's concurrent meeting quota (its own entry's, else the default's), the legacy
// API's too when it differs.
function maxActive(account) {
  if (quotas === 'off') return 'quotas off';
  if (!quotas) return '-';
  const limits = quotas.accounts[account] ?? quotas.default;
  const { max_active_meetings: max, legacy_max_active_meetings: legacy } = limits;
  const shown = legacy === max ? String(max) : `${max}, legacy ${legacy}`;
  return quotas.overriddenAccounts.includes(account) ? `${shown} (set at run time)` : shown;
}

// ---- Faults ----

async function refreshFaults() {
  const { rules } = await api('/v1/faults');
  fillTable(
    'faults-table',
    rules.map((r) => {
      const matches = [r.api, r.operation, r.accountId, r.meetingId, r.attendeeId].filter(Boolean).join(' ') || 'every request';
      const action = r.action === 'error' ? r.error : r.latencyMs ? `${r.action} ${r.latencyMs} ms` : r.action;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.textContent = 'Delete';
      remove.addEventListener('click', async () => {
        try {
          await api(`/v1/faults/${encodeURIComponent(r.id)}`, { method: 'DELETE' });
        } catch (error) {
          failed('faults')(error);
        }
        refreshFaults().catch(failed('faults'));
      });
      const actions = document.createElement('td');
      actions.append(remove);
      const tr = row([cell(r.id, 'id'), cell(matches), cell(action), cell(String(r.hits)), cell(r.remaining == null ? '∞' : String(r.remaining)), actions]);
      tr.dataset.ruleId = r.id;
      return tr;
    }),
  );
}

async function addFault(event) {
  event.preventDefault();
  const spec = { action: $('fault-action').value };
  if ($('fault-api').value) spec.api = $('fault-api').value;
  if ($('fault-operation').value.trim()) spec.operation = $('fault-operation').value.trim();
  const value = $('fault-value').value.trim();
  if (spec.action === 'error') spec.error = value;
  if (spec.action === 'latency') spec.latencyMs = Number(value);
  if ($('fault-count').value.trim()) spec.count = Number($('fault-count').value);
  try {
    await api('/v1/faults', { method: 'POST', body: spec });
    clearStatus('faults');
  } catch (error) {
    failed('faults')(error);
  }
  refreshFaults().catch(failed('faults'));
}

// ---- Events, live ----

let eventsFollowed = null;

// Server-sent events read through fetch (an EventSource cannot send the token), resumed after
// the last id seen when the connection drops.
async function followEvents() {
  const controller = new AbortController();
  eventsFollowed = controller;
  let lastId = null;
  while (!controller.signal.aborted) {
    try {
      const headers = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
      if (lastId) headers['last-event-id'] = lastId;
      const response = await fetch('/v1/events/stream?after=0-0', { headers, signal: controller.signal });
      if (response.status === 401) return askForToken('The token was refused.');
      if (!response.ok) throw new Error(`${response.status}`);
      $('events-live').textContent = 'live';
      $('events-live').className = 'badge on';
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let pending = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += value;
        let end;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const message = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const id = /^id: ?(.*)$/m.exec(message)?.[1];
          const data = message.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
          if (id) lastId = id;
          if (data) showEvent(JSON.parse(data));
        }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      setStatus('events', error.message);
    }
    $('events-live').textContent = 'reconnecting';
    $('events-live').className = 'badge';
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function showEvent(e) {
  const detail = e.event?.detail ?? {};
  const tr = row([
    cell(time(e.atMs)),
    cell(e.name),
    cell(e.meetingId, 'id'),
    cell(detail.attendeeId ?? e.event?.attributes?.attendeeId, 'id'),
    cell(e.source),
  ]);
  tr.dataset.search = `${e.name} ${e.meetingId}`.toLowerCase();
  applyFilter(tr);
  const body = $('events-table').tBodies[0];
  body.prepend(tr);
  while (body.rows.length > EVENTS_KEPT) body.lastElementChild.remove();
}

function applyFilter(tr) {
  const filter = $('events-filter').value.trim().toLowerCase();
  tr.hidden = filter !== '' && !tr.dataset.search.includes(filter);
}

// ---- Start ----

let timers = [];

function askForToken(message = '') {
  timers.forEach(clearInterval);
  timers = [];
  eventsFollowed?.abort();
  sessionStorage.removeItem('carillon-admin-token');
  $('main').hidden = true;
  $('login').hidden = false;
  $('login-message').textContent = message;
  $('token').focus();
}

// Checks the token once, then shows and refreshes everything.
async function open() {
  try {
    await api('/v1/time');
  } catch (error) {
    if (error instanceof Unauthorized) return askForToken('The token was refused.');
    return askForToken(`The admin API did not answer: ${error.message}`);
  }
  sessionStorage.setItem('carillon-admin-token', token);
  $('login').hidden = true;
  $('main').hidden = false;
  timers = [
    every('clock', refreshClock),
    every('requests', refreshMetrics),
    every('meetings', refreshMeetings),
    every('quotas', refreshQuotas),
    every('faults', refreshFaults),
  ];
  followEvents();
}

// A token given in the address (#token=…) replaces the one kept, and leaves the address.
function tokenFromAddress() {
  const fromAddress = /(?:^#|&)token=([^&]+)/.exec(location.hash)?.[1];
  if (!fromAddress) return false;
  token = decodeURIComponent(fromAddress);
  history.replaceState(null, '', location.pathname);
  return true;
}

window.addEventListener('hashchange', () => {
  if (tokenFromAddress()) {
    timers.forEach(clearInterval);
    eventsFollowed?.abort();
    open();
  }
});

document.addEventListener('DOMContentLoaded', () => {
  tokenFromAddress();
  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    token = $('token').value;
    open();
  });
  $('clock-freeze').addEventListener('click', () => clockAction('/v1/time/freeze'));
  $('clock-resume').addEventListener('click', () => clockAction('/v1/time/resume'));
  $('clock-advance').addEventListener('click', () => {
    const byMs = duration($('clock-by').value);
    if (byMs) clockAction('/v1/time/advance', { byMs });
    else setStatus('clock', 'advance by a duration such as 300s, 5m or 1h');
  });
  $('fault-form').addEventListener('submit', addFault);
  $('events-filter').addEventListener('input', () => {
    for (const tr of $('events-table').tBodies[0].rows) applyFilter(tr);
  });
  if (token) open();
  else askForToken();
});
