// The test page's side of the browser tests: joins a meeting with the Amazon Chime SDK for
// JavaScript (window.ChimeSDK, from build/chime-sdk.js) and records what the SDK reports, so that
// the tests (through Playwright's page.evaluate) can act and wait on it.
//
// Every record goes into `harness.events` as {kind, at, ...}:
//   didStart                                  audioVideoDidStart
//   didStop {code, terminal}                  audioVideoDidStop, code = MeetingSessionStatusCode name
//   didStartConnecting {reconnecting}         audioVideoDidStartConnecting
//   presence {attendeeId, present, externalUserId, dropped}
//   volume {attendeeId, muted}                a change of an attendee's muted flag
//   data {topic, text, senderAttendeeId, senderExternalUserId, timestampMs, throttled}
//   socketOpened {url} / socketClosed {code, reason}   the signaling WebSocket, seen from outside
//   frameSent / frameReceived {type, detail}   a signaling frame (not the periodic ones)
//   poor                                      connectionDidBecomePoor
//   speaking {attendeeId, speaking}           the volume indicator went above zero, or back to it
//   joinError {message}                       join() threw
'use strict';

(() => {
  const events = [];
  const record = (kind, fields = {}) => {
    events.push({ kind, at: Date.now(), ...fields });
  };

  // Count the WebSockets the SDK opens (a refused join must not be retried), note how each one
  // closes, and note the signaling frames that go by, decoded with the SDK's own codec (all but
  // the frequent ones: client metrics and audio metadata). The SDK constructs `WebSocket` by
  // its global name at connect time.
  const QUIET_FRAMES = new Set(['CLIENT_METRIC', 'AUDIO_METADATA']);
  function recordFrame(direction, data) {
    const { SdkSignalFrame } = window.ChimeSignalingProtocol ?? {};
    if (!SdkSignalFrame || !(data instanceof ArrayBuffer || ArrayBuffer.isView(data))) return;
    const bytes = data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let fields;
    try {
      const frame = SdkSignalFrame.decode(bytes.subarray(1));
      fields = SdkSignalFrame.toObject(frame, { longs: String, enums: String, bytes: String });
    } catch (error) {
      record(direction, { prefix: bytes[0], error: String(error.message) });
      return;
    }
    if (QUIET_FRAMES.has(fields.type)) return;
    const { timestampMs, type, ...rest } = fields;
    const detail = JSON.stringify(rest);
    record(direction, { type, detail: detail.length > 300 ? `${detail.slice(0, 300)}...` : detail });
  }

  const NativeWebSocket = window.WebSocket;
  class ObservedWebSocket extends NativeWebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      record('socketOpened', { url: String(url).split('?')[0] });
      this.addEventListener('message', (event) => recordFrame('frameReceived', event.data));
      this.addEventListener('close', (event) => {
        record('socketClosed', { code: event.code, reason: event.reason });
      });
    }

    send(data) {
      recordFrame('frameSent', data);
      super.send(data);
    }
  }
  window.WebSocket = ObservedWebSocket;

  let session = null;
  let audioVideo = null;
  const volumeSubscriptions = new Set();
  const lastMuted = new Map();
  const lastSpeaking = new Map();
  const dataTopics = new Set();

  function subscribeToVolume(attendeeId) {
    if (volumeSubscriptions.has(attendeeId)) return;
    volumeSubscriptions.add(attendeeId);
    audioVideo.realtimeSubscribeToVolumeIndicator(attendeeId, (id, volume, muted) => {
      if (volume !== null && volume !== undefined) {
        const speaking = volume > 0;
        if (lastSpeaking.get(id) !== speaking) {
          lastSpeaking.set(id, speaking);
          record('speaking', { attendeeId: id, speaking, volume });
        }
      }
      if (muted === null || muted === undefined) return;
      if (lastMuted.get(id) === muted) return;
      lastMuted.set(id, muted);
      record('volume', { attendeeId: id, muted });
    });
  }

  function subscribeToTopic(topic) {
    if (dataTopics.has(topic)) return;
    dataTopics.add(topic);
    audioVideo.realtimeSubscribeToReceiveDataMessage(topic, (message) => {
      record('data', {
        topic: message.topic,
        text: message.text(),
        senderAttendeeId: message.senderAttendeeId,
        senderExternalUserId: message.senderExternalUserId,
        timestampMs: message.timestampMs,
        throttled: message.throttled,
      });
    });
  }

  // join(meetingResponse, attendeeResponse, options): the CreateMeeting and CreateAttendee
  // responses as the AWS SDK returns them ({Meeting: ...}, {Attendee: ...}) or their inner
  // objects. options: attendeePresenceTimeoutMs (default 0), logLevel ('WARN', 'INFO', 'OFF'),
  // topics (data message topics to subscribe to, default ['chat', 'test']), toneHz (the
  // microphone is a steady tone of that frequency, made by the SDK's own synthesizer).
  async function join(meetingResponse, attendeeResponse, options = {}) {
    if (session) throw new Error('already joined');
    const sdk = window.ChimeSDK;
    try {
      const level = String(options.logLevel || 'WARN').toUpperCase();
      const logger = level === 'OFF'
        ? new sdk.NoOpLogger()
        : new sdk.ConsoleLogger('sdk', sdk.LogLevel[level] ?? sdk.LogLevel.WARN);
      const deviceController = new sdk.DefaultDeviceController(logger);
      const configuration = new sdk.MeetingSessionConfiguration(meetingResponse, attendeeResponse);
      configuration.attendeePresenceTimeoutMs = options.attendeePresenceTimeoutMs ?? 0;
      session = new sdk.DefaultMeetingSession(configuration, logger, deviceController);
      audioVideo = session.audioVideo;

      audioVideo.addObserver({
        audioVideoDidStart: () => record('didStart'),
        audioVideoDidStop: (status) => record('didStop', {
          code: sdk.MeetingSessionStatusCode[status.statusCode()],
          terminal: status.isTerminal(),
        }),
        audioVideoDidStartConnecting: (reconnecting) =>
          record('didStartConnecting', { reconnecting }),
        connectionDidBecomePoor: () => record('poor'),
      });

      audioVideo.realtimeSubscribeToAttendeeIdPresence(
        (attendeeId, present, externalUserId, dropped) => {
          record('presence', {
            attendeeId,
            present,
            externalUserId: externalUserId ?? null,
            dropped: dropped ?? null,
          });
          if (present) subscribeToVolume(attendeeId);
        },
      );
      for (const topic of options.topics ?? ['chat', 'test']) subscribeToTopic(topic);

      if (options.toneHz) {
        await audioVideo.startAudioInput(sdk.DefaultDeviceController.synthesizeAudioDevice(options.toneHz));
      } else {
        const devices = await audioVideo.listAudioInputDevices();
        if (devices.length === 0) throw new Error('no audio input device (fake device flags missing?)');
        await audioVideo.startAudioInput(devices[0].deviceId);
      }
      await audioVideo.bindAudioElement(document.getElementById('meeting-audio'));
      audioVideo.start();
      return {
        attendeeId: configuration.credentials.attendeeId,
        externalUserId: configuration.credentials.externalUserId,
        meetingId: configuration.meetingId,
      };
    } catch (error) {
      record('joinError', { message: String(error && error.message || error) });
      throw error;
    }
  }

  function requireSession() {
    if (!audioVideo) throw new Error('not joined');
    return audioVideo;
  }

  // The peer connection's state, its inbound audio's energy (getStats inbound-rtp), and what
  // the server's RTCP said: its receiver reports on our audio (remote-inbound-rtp, with a round
  // trip time) and its sender reports (remote-outbound-rtp).
  async function mediaStats() {
    const connection = session?.audioVideoController?.rtcPeerConnection;
    if (!connection) return null;
    let totalAudioEnergy = 0;
    let packetsReceived = 0;
    let receiverReportRtt = null;
    let senderReports = 0;
    (await connection.getStats()).forEach((report) => {
      if (report.kind !== 'audio') return;
      if (report.type === 'inbound-rtp') {
        totalAudioEnergy += report.totalAudioEnergy ?? 0;
        packetsReceived += report.packetsReceived ?? 0;
      } else if (report.type === 'remote-inbound-rtp') {
        receiverReportRtt = report.roundTripTime ?? receiverReportRtt;
      } else if (report.type === 'remote-outbound-rtp') {
        senderReports += report.reportsSent ?? 0;
      }
    });
    return {
      connectionState: connection.connectionState,
      totalAudioEnergy,
      packetsReceived,
      receiverReportRtt,
      senderReports,
    };
  }

  window.harness = {
    events,
    mediaStats,
    join,
    mute: () => requireSession().realtimeMuteLocalAudio(),
    unmute: () => requireSession().realtimeUnmuteLocalAudio(),
    sendData: (topic, text, lifetimeMs) => {
      subscribeToTopic(topic);
      requireSession().realtimeSendDataMessage(topic, text, lifetimeMs);
    },
    stop: () => requireSession().stop(),
    // Starts the camera (Chromium's fake one) and the local video tile: the SDK renegotiates.
    startVideo: async () => {
      const av = requireSession();
      const cameras = await av.listVideoInputDevices();
      if (cameras.length === 0) throw new Error('no camera (fake device flags missing?)');
      await av.startVideoInput(cameras[0].deviceId);
      av.startLocalVideoTile();
    },
  };
})();
