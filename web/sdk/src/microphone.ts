// The microphone: getUserMedia with the browser's echo cancellation and noise suppression, and an
// AudioWorklet that downmixes to mono, resamples to 16 kHz and posts 40 ms PCM16 chunks. The worklet
// is loaded from a Blob URL of the source below: the SDK is often loaded cross-origin, and a worklet
// module URL must be same-origin or CORS-readable, which a Blob URL always is.

export const CAPTURE_RATE = 16_000;
export const CHUNK_SAMPLES = 640; // 40 ms at 16 kHz

const WORKLET_SOURCE = `
class OmniagentCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / ${CAPTURE_RATE};  // input samples per output sample
    this.position = 0;                          // the next output's position in the current block
    this.previous = 0;                          // the last input sample of the previous block
    this.smoothed = 0;                          // one-pole low-pass state (anti-aliasing)
    this.alpha = Math.min(1, ${CAPTURE_RATE} / sampleRate * 2.2);
    this.chunk = new Int16Array(${CHUNK_SAMPLES});
    this.filled = 0;
  }
  process(inputs) {
    const channels = inputs[0];
    if (!channels || channels.length === 0 || !channels[0]) return true;
    const frames = channels[0].length;
    const mono = new Float32Array(frames);
    for (const channel of channels) for (let i = 0; i < frames; i++) mono[i] += channel[i] / channels.length;
    for (let i = 0; i < frames; i++) mono[i] = this.smoothed += this.alpha * (mono[i] - this.smoothed);
    while (this.position < frames) {
      const index = Math.floor(this.position);
      const fraction = this.position - index;
      const before = index === 0 ? this.previous : mono[index - 1];
      const after = mono[index];
      const value = before + (after - before) * fraction;
      const clamped = Math.max(-1, Math.min(1, value));
      this.chunk[this.filled++] = clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff;
      if (this.filled === this.chunk.length) {
        this.port.postMessage(this.chunk.buffer, [this.chunk.buffer]);
        this.chunk = new Int16Array(${CHUNK_SAMPLES});
        this.filled = 0;
      }
      this.position += this.step;
    }
    this.position -= frames;
    this.previous = mono[frames - 1];
    return true;
  }
}
registerProcessor("omniagent-capture", OmniagentCapture);
`;

export type MicrophoneFailure = "denied" | "unavailable";

export class Microphone {
  private stream: MediaStream | null = null;
  private node: AudioWorkletNode | null = null;
  private source: MediaStreamAudioSourceNode | null = null;
  private sink: GainNode | null = null;
  private stopped = false;
  startedAt: number | null = null;
  samples = 0;

  constructor(
    private readonly context: AudioContext,
    private readonly onChunk: (pcm: Int16Array) => void,
  ) {}

  /** Opens the microphone; resolves with null when capturing, or why it could not. */
  async start(): Promise<{ failure: MicrophoneFailure; message: string } | null> {
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
      });
    } catch (refused) {
      const name = refused instanceof DOMException ? refused.name : "";
      const message = refused instanceof Error ? refused.message : String(refused);
      const denied = name === "NotAllowedError" || name === "SecurityError";
      return { failure: denied ? "denied" : "unavailable", message: message || name };
    }
    if (this.stopped) {
      this.stopTracks();
      return null;
    }
    try {
      const blobUrl = URL.createObjectURL(new Blob([WORKLET_SOURCE], { type: "text/javascript" }));
      try {
        await this.context.audioWorklet.addModule(blobUrl);
      } finally {
        URL.revokeObjectURL(blobUrl);
      }
      this.source = this.context.createMediaStreamSource(this.stream);
      this.node = new AudioWorkletNode(this.context, "omniagent-capture", { numberOfOutputs: 1 });
      this.node.port.onmessage = (message: MessageEvent<ArrayBuffer>) => {
        if (this.stopped) return;
        const pcm = new Int16Array(message.data);
        if (this.startedAt === null) this.startedAt = Date.now() - (pcm.length / CAPTURE_RATE) * 1000;
        this.samples += pcm.length;
        this.onChunk(pcm);
      };
      // A worklet node runs only while it is pulled: a silent gain into the destination pulls it.
      this.sink = this.context.createGain();
      this.sink.gain.value = 0;
      this.source.connect(this.node).connect(this.sink).connect(this.context.destination);
    } catch (failed) {
      this.stop();
      return { failure: "unavailable", message: failed instanceof Error ? failed.message : String(failed) };
    }
    return null;
  }

  stop(): void {
    this.stopped = true;
    if (this.node) this.node.port.onmessage = null;
    this.source?.disconnect();
    this.node?.disconnect();
    this.sink?.disconnect();
    this.stopTracks();
  }

  private stopTracks(): void {
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
  }
}

export function pcmToBase64(pcm: Int16Array): string {
  const bytes = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function base64ToPcm(audio: string): Int16Array {
  const binary = atob(audio);
  const bytes = new Uint8Array(binary.length & ~1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Int16Array(bytes.buffer); // little-endian, as every browser platform is
}
