// The agent's voice: `audio_received` chunks (PCM16 16 kHz) scheduled back to back on one AudioContext
// timeline (each at max(now, the end of the previous)), so they play without gaps however they arrive;
// `flush` stops every scheduled source at once (barge-in). The output passes an AnalyserNode whose level
// drives the avatar's mouth, so the avatar moves with what is heard, when it is heard.
import { base64ToPcm } from "./microphone";

const PLAYBACK_RATE = 16_000;
const MAX_STARTS_KEPT = 200;

export class Player {
  readonly analyser: AnalyserNode;
  private readonly scheduled = new Set<AudioBufferSourceNode>();
  private timelineEnd = 0;
  private readonly levels: Float32Array<ArrayBuffer>;
  muted = false; // the Speech avatar speaks instead: chunks are still counted, not heard
  chunksReceived = 0;
  chunksPlayed = 0;
  chunksFlushed = 0;
  flushes = 0;
  firstPlayedAt: number | null = null;
  readonly playbackStartedAt: number[] = [];

  constructor(private readonly context: AudioContext) {
    this.analyser = context.createAnalyser();
    this.analyser.fftSize = 512;
    this.analyser.smoothingTimeConstant = 0.3;
    this.analyser.connect(context.destination);
    this.levels = new Float32Array(this.analyser.fftSize);
  }

  get queued(): number {
    return this.scheduled.size;
  }

  enqueue(audio: string): void {
    this.chunksReceived += 1;
    if (this.muted) return;
    const pcm = base64ToPcm(audio);
    if (pcm.length === 0) return;
    const buffer = this.context.createBuffer(1, pcm.length, PLAYBACK_RATE);
    const samples = buffer.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 0x8000;
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.analyser);
    const now = this.context.currentTime;
    const fromSilence = this.scheduled.size === 0 || this.timelineEnd <= now;
    const startAt = Math.max(now, this.timelineEnd);
    source.start(startAt);
    this.timelineEnd = startAt + buffer.duration;
    this.scheduled.add(source);
    source.onended = () => {
      this.scheduled.delete(source);
      source.disconnect();
    };
    this.chunksPlayed += 1;
    if (fromSilence) {
      const wallClock = this.wallClockOf(startAt);
      if (this.firstPlayedAt === null) this.firstPlayedAt = wallClock;
      this.playbackStartedAt.push(wallClock);
      if (this.playbackStartedAt.length > MAX_STARTS_KEPT) this.playbackStartedAt.shift();
    }
  }

  /** Stop what is scheduled, now: the user started speaking. */
  flush(): void {
    if (this.scheduled.size > 0) this.flushes += 1;
    for (const source of this.scheduled) {
      source.onended = null;
      try {
        source.stop();
      } catch {
        // a source that already ended
      }
      source.disconnect();
      this.chunksFlushed += 1;
    }
    this.scheduled.clear();
    this.timelineEnd = this.context.currentTime;
  }

  /** The loudness of what is playing now, 0..1 (RMS, scaled for speech). */
  level(): number {
    if (this.scheduled.size === 0) return 0;
    this.analyser.getFloatTimeDomainData(this.levels);
    let sum = 0;
    for (const value of this.levels) sum += value * value;
    return Math.min(1, Math.sqrt(sum / this.levels.length) * 4);
  }

  /** AudioContext time -> wall clock (ms since the epoch), through the output timestamp pair. */
  private wallClockOf(contextTime: number): number {
    const stamp = this.context.getOutputTimestamp();
    if (stamp.contextTime === undefined || stamp.performanceTime === undefined || stamp.performanceTime === 0) {
      return Date.now() + (contextTime - this.context.currentTime) * 1000;
    }
    return performance.timeOrigin + stamp.performanceTime + (contextTime - stamp.contextTime) * 1000;
  }
}
