// A meeting page on the Amazon Chime SDK for JavaScript: paste the CreateMeeting and
// CreateAttendee output, join, hear the others, see who is in the meeting (who is muted, who is
// speaking), chat, mute, play a test tone instead of the microphone, leave.
import {
  ConsoleLogger,
  DefaultDeviceController,
  DefaultMeetingSession,
  LogLevel,
  MeetingSessionConfiguration,
  MeetingSessionStatusCode,
} from 'amazon-chime-sdk-js';

const CHAT_TOPIC = 'chat';
const MAX_MESSAGE_BYTES = 2048; // the SDK's limit for one data message

const $ = (id) => document.getElementById(id);

let audioVideo = null;
let self = null; // {attendeeId, externalUserId}
let localMuted = false;
let microphoneId = null;
let toneOn = false;
const roster = new Map(); // attendeeId -> {externalUserId, muted, speaking}

// Each tab's test tone: one of a few notes, so that two tabs playing theirs can be told apart.
const TONE_HZ = [440, 660, 880, 550][Math.floor(Math.random() * 4)];

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
}

// The AWS CLI prints {"Meeting": {...}} and {"Attendee": {...}}; the inner objects alone are
// accepted too.
function parsePasted(text, key, requiredField) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`The ${key} box does not hold JSON (${error.message}).`);
  }
  const inner = value && typeof value === 'object' && key in value ? value[key] : value;
  if (!inner || typeof inner !== 'object' || !(requiredField in inner)) {
    throw new Error(`The ${key} box does not hold a ${key} (no ${requiredField} in it).`);
  }
  return { [key]: inner };
}

function renderRoster() {
  const list = $('roster');
  list.replaceChildren();
  const entries = [...roster.entries()].sort(([, a], [, b]) => a.externalUserId.localeCompare(b.externalUserId));
  for (const [attendeeId, { externalUserId, muted, speaking }] of entries) {
    const item = document.createElement('li');
    item.dataset.attendeeId = attendeeId;
    item.dataset.muted = String(muted);
    item.dataset.speaking = String(Boolean(speaking));
    const mic = document.createElement('span');
    mic.className = 'mic';
    mic.textContent = muted ? 'muted' : 'mic on';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = externalUserId + (attendeeId === self?.attendeeId ? ' (you)' : '');
    item.append(mic, name);
    list.append(item);
  }
}

// The volume indicator: an attendee speaks while its volume is above zero.
function setSpeaking(attendeeId, speaking) {
  const entry = roster.get(attendeeId);
  if (entry && entry.speaking !== speaking) {
    entry.speaking = speaking;
    renderRoster();
  }
}

function setMuted(attendeeId, muted) {
  const entry = roster.get(attendeeId);
  if (entry && entry.muted !== muted) {
    entry.muted = muted;
    renderRoster();
  }
}

function appendChat(sender, text, { own = false, note = '' } = {}) {
  const item = document.createElement('li');
  if (own) item.className = 'self';
  const who = document.createElement('span');
  who.className = 'sender';
  who.textContent = own ? `${sender} (you)` : sender;
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = note ? `${text} [${note}]` : text;
  item.append(who, body);
  $('chat-log').append(item);
  item.scrollIntoView({ block: 'nearest' });
}

function describeStop(code) {
  switch (code) {
    case MeetingSessionStatusCode.Left:
      return 'You left the meeting.';
    case MeetingSessionStatusCode.MeetingEnded:
      return 'The meeting has ended.';
    case MeetingSessionStatusCode.AudioAttendeeRemoved:
      return 'You were removed from the meeting.';
    case MeetingSessionStatusCode.AudioJoinedFromAnotherDevice:
      return 'You joined from another tab or device.';
    default:
      return `Disconnected (${MeetingSessionStatusCode[code] ?? code}).`;
  }
}

function showMeeting(joined) {
  $('meeting').hidden = !joined;
  $('join-form').hidden = joined;
}

function onPresence(attendeeId, present, externalUserId) {
  if (!audioVideo || attendeeId.endsWith('#content')) return; // content share sessions are not people
  if (!present) {
    roster.delete(attendeeId);
    audioVideo.realtimeUnsubscribeFromVolumeIndicator(attendeeId);
    renderRoster();
    return;
  }
  if (roster.has(attendeeId)) return;
  const muted = attendeeId === self.attendeeId ? localMuted : false;
  roster.set(attendeeId, { externalUserId: externalUserId || attendeeId, muted });
  audioVideo.realtimeSubscribeToVolumeIndicator(attendeeId, (id, volume, isMuted) => {
    if (isMuted !== null && isMuted !== undefined) setMuted(id, isMuted);
    if (volume !== null && volume !== undefined) setSpeaking(id, volume > 0);
  });
  renderRoster();
}

function onDataMessage(message) {
  if (message.throttled) {
    // The server hands a message it refuses back to its sender, marked throttled.
    appendChat(message.senderExternalUserId, message.text(), { own: true, note: 'not delivered: too many messages' });
    return;
  }
  appendChat(message.senderExternalUserId, message.text());
}

async function join(meeting, attendee) {
  const logger = new ConsoleLogger('meeting', LogLevel.WARN);
  const deviceController = new DefaultDeviceController(logger);
  const configuration = new MeetingSessionConfiguration(meeting, attendee);
  // Wait until the server lists us in the meeting before calling ourselves joined.
  configuration.attendeePresenceTimeoutMs = 10000;
  const session = new DefaultMeetingSession(configuration, logger, deviceController);
  audioVideo = session.audioVideo;
  self = {
    attendeeId: configuration.credentials.attendeeId,
    externalUserId: configuration.credentials.externalUserId,
  };

  audioVideo.addObserver({
    audioVideoDidStartConnecting: (reconnecting) => setStatus(reconnecting ? 'Reconnecting…' : 'Connecting…'),
    audioVideoDidStart: () => {
      setStatus(`In the meeting as ${self.externalUserId}.`);
      showMeeting(true);
    },
    audioVideoDidStop: (status) => {
      const code = status.statusCode();
      setStatus(describeStop(code), code !== MeetingSessionStatusCode.Left);
      roster.clear();
      renderRoster();
      showMeeting(false);
      audioVideo.stopAudioInput().catch(() => {});
      audioVideo = null;
      $('join').disabled = false;
    },
  });
  audioVideo.realtimeSubscribeToAttendeeIdPresence(onPresence);
  audioVideo.realtimeSubscribeToMuteAndUnmuteLocalAudio((muted) => {
    localMuted = muted;
    $('mute').textContent = muted ? 'Unmute' : 'Mute';
    setMuted(self.attendeeId, muted);
  });
  audioVideo.realtimeSubscribeToReceiveDataMessage(CHAT_TOPIC, onDataMessage);

  // Ask for the microphone first: before that, browsers list devices without ids.
  const permission = await navigator.mediaDevices.getUserMedia({ audio: true });
  permission.getTracks().forEach((track) => track.stop());
  const microphones = await audioVideo.listAudioInputDevices();
  if (microphones.length === 0) throw new Error('No microphone found.');
  microphoneId = microphones[0].deviceId;
  toneOn = false;
  $('tone').textContent = `Play test tone (${TONE_HZ} Hz)`;
  $('tone').dataset.hz = String(TONE_HZ);
  await audioVideo.startAudioInput(microphoneId);
  await audioVideo.bindAudioElement($('meeting-audio'));
  audioVideo.start();
}

$('join-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (audioVideo) return;
  $('join').disabled = true;
  try {
    const meeting = parsePasted($('meeting-json').value, 'Meeting', 'MediaPlacement');
    const attendee = parsePasted($('attendee-json').value, 'Attendee', 'JoinToken');
    setStatus('Connecting…');
    await join(meeting, attendee);
  } catch (error) {
    setStatus(error.message || String(error), true);
    audioVideo = null;
    $('join').disabled = false;
  }
});

$('chat-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('chat-input').value.trim();
  if (!text || !audioVideo) return;
  if (new TextEncoder().encode(text).length > MAX_MESSAGE_BYTES) {
    setStatus(`A message can be at most ${MAX_MESSAGE_BYTES} bytes.`, true);
    return;
  }
  audioVideo.realtimeSendDataMessage(CHAT_TOPIC, text);
  // The server does not send our own messages back to us.
  appendChat(self.externalUserId, text, { own: true });
  $('chat-input').value = '';
});

$('mute').addEventListener('click', () => {
  if (!audioVideo) return;
  if (localMuted) audioVideo.realtimeUnmuteLocalAudio();
  else audioVideo.realtimeMuteLocalAudio();
});

// The test tone replaces the microphone (the SDK's own tone generator), and back.
$('tone').addEventListener('click', async () => {
  if (!audioVideo) return;
  toneOn = !toneOn;
  await audioVideo.startAudioInput(toneOn
    ? DefaultDeviceController.synthesizeAudioDevice(TONE_HZ)
    : microphoneId);
  $('tone').textContent = toneOn ? 'Stop test tone' : `Play test tone (${TONE_HZ} Hz)`;
});

$('leave').addEventListener('click', () => {
  audioVideo?.stop();
});
