// Azure's real-time text-to-speech avatar: WebRTC video (and its voice) straight from Azure to the
// browser, over the ICE relay the platform minted (the token's `speechAvatar`). Built as its own file
// (speech-avatar.js beside omniagent.js) and imported only when a token asks for it: the Speech SDK
// is large and most pages never need it.
import {
  AvatarConfig,
  AvatarSynthesizer,
  AvatarVideoFormat,
  ResultReason,
  SpeechConfig,
} from "microsoft-cognitiveservices-speech-sdk";
import type { SpeechAvatarCredentials } from "./index";

export interface SpeechAvatar {
  /** The element showing the avatar's video (its audio plays through a hidden audio element). */
  readonly element: HTMLElement;
  speak(text: string): void;
  /** Stop speaking now (barge-in). */
  interrupt(): void;
  close(): void;
}

const REGIONAL_HOST = /^([a-z0-9]+)\.(api\.cognitive\.microsoft\.com|tts\.speech\.microsoft\.com)$/;

/**
 * The avatar's synthesis socket: Azure's regional host, or `endpoint`'s host (a custom domain, a
 * private endpoint, a stand-in), where the SDK adds /tts/cognitiveservices/websocket/v1 itself. (From a
 * host, not an endpoint URL: for an endpoint on that path the SDK first asks https://host:443 for a
 * redirect, which only a public Azure host answers.)
 */
function speechConfigOf(credentials: SpeechAvatarCredentials): SpeechConfig {
  const endpoint = new URL(credentials.endpoint);
  let config: SpeechConfig;
  if (REGIONAL_HOST.test(endpoint.hostname)) {
    config = SpeechConfig.fromAuthorizationToken(credentials.authToken, credentials.region);
  } else {
    const host = new URL(endpoint.origin);
    host.protocol = endpoint.protocol === "http:" ? "ws:" : "wss:";
    config = SpeechConfig.fromHost(host);
    config.authorizationToken = credentials.authToken;
  }
  config.speechSynthesisVoiceName = credentials.voice;
  return config;
}

export async function startSpeechAvatar(
  credentials: SpeechAvatarCredentials,
  greenBackground: boolean,
): Promise<SpeechAvatar> {
  const avatarConfig = new AvatarConfig(credentials.character, credentials.style, new AvatarVideoFormat());
  if (greenBackground) avatarConfig.backgroundColor = "#00FF00FF";
  const synthesizer = new AvatarSynthesizer(speechConfigOf(credentials), avatarConfig);
  const peer = new RTCPeerConnection({ iceServers: credentials.iceServers });
  const stage = document.createElement("div");
  stage.className = "omniagent-video";
  const video = document.createElement("video");
  video.className = "omniagent-video";
  video.autoplay = true;
  video.playsInline = true;
  video.muted = true; // the voice plays through the audio element
  const audio = document.createElement("audio");
  audio.autoplay = true;
  stage.append(video, audio);
  peer.ontrack = (track) => {
    const [stream] = track.streams;
    if (track.track.kind === "video") video.srcObject = stream ?? new MediaStream([track.track]);
    else audio.srcObject = stream ?? new MediaStream([track.track]);
  };
  peer.addTransceiver("video", { direction: "sendrecv" });
  peer.addTransceiver("audio", { direction: "sendrecv" });
  const closeAll = () => {
    synthesizer.close();
    peer.close();
    stage.remove();
  };
  try {
    const started = await synthesizer.startAvatarAsync(peer);
    if (started.reason !== ResultReason.SynthesizingAudioCompleted) {
      throw new Error(started.errorDetails || "the avatar service did not answer the offer");
    }
  } catch (failed) {
    closeAll();
    throw failed instanceof Error ? failed : new Error(String(failed));
  }
  return {
    element: stage,
    speak: (text) => void synthesizer.speakTextAsync(text).catch(() => undefined),
    interrupt: () => void synthesizer.stopSpeakingAsync().catch(() => undefined),
    close: closeAll,
  };
}
