// The Amazon Chime SDK for JavaScript, exposed to the test page as `window.ChimeSDK`, and its
// signaling frame codec as `window.ChimeSignalingProtocol` (the page decodes the frames it sees
// go by, for the tests' diagnostics).
import * as ChimeSDK from 'amazon-chime-sdk-js';
import * as ChimeSignalingProtocol from 'amazon-chime-sdk-js/build/signalingprotocol/SignalingProtocol.js';

window.ChimeSDK = ChimeSDK;
window.ChimeSignalingProtocol = ChimeSignalingProtocol;
