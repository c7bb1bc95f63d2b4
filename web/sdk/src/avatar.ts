// The drawn avatar: the companion's image in a canvas, in one of three views, moving with the agent's
// voice as it plays (the playback level opens the jaw: the lower face is stretched down, the head
// nods a little) and idling otherwise (breathing, a slow sway). Without an image: initials.
import type { AvatarView } from "./index";

export interface AvatarSource {
  name: string;
  imageUrl: string | null;
  silhouetteUrl: string | null;
}

// Where the face is assumed to sit in a companion's portrait (fractions of the image): companion
// photos are head-and-shoulders portraits, face centred in the upper half.
const FACE_CENTER_Y = 0.42;
const MOUTH_TOP = 0.58;
const CHIN = 0.74;
const JAW_LEFT = 0.32;
const JAW_RIGHT = 0.68;
const MAX_JAW_OPEN = 0.045; // of the drawn height
const SPEAKING_JAW = 0.05; // a jaw this open counts as speaking (stats.framesSpeaking)

export function loadImage(url: string | null): Promise<HTMLImageElement | null> {
  if (!url) return Promise.resolve(null);
  return new Promise((resolve) => {
    const image = new Image();
    image.crossOrigin = "anonymous"; // a CORS-read image keeps the canvas readable (no taint)
    image.decoding = "async";
    image.onload = () => resolve(image.naturalWidth > 0 ? image : null);
    image.onerror = () => resolve(null);
    image.src = url;
  });
}

export function initialsOf(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? words[0][0] + words[words.length - 1][0] : (words[0] ?? "?").slice(0, 2);
  return letters.toUpperCase();
}

export class AvatarCanvas {
  readonly canvas: HTMLCanvasElement;
  private readonly context: CanvasRenderingContext2D;
  private image: HTMLImageElement | null = null;
  private frame = 0;
  private jaw = 0; // smoothed jaw opening, 0..1
  private readonly startedAt = performance.now();
  framesDrawn = 0;
  /** Frames drawn with the mouth open (the agent's voice playing): the motion follows the audio. */
  framesSpeaking = 0;
  private firstFrame: (() => void) | null = null;

  constructor(
    private readonly view: AvatarView,
    private readonly name: string,
    private readonly level: () => number,
  ) {
    this.canvas = document.createElement("canvas");
    this.canvas.className = `omniagent-canvas omniagent-view-${view}`;
    const context = this.canvas.getContext("2d");
    if (!context) throw new Error("Omniagent: this browser has no 2D canvas.");
    this.context = context;
  }

  /** Starts drawing with `image` (or initials when null); `onFirstFrame` once the first frame is drawn. */
  start(image: HTMLImageElement | null, onFirstFrame: () => void): void {
    this.image = image;
    this.firstFrame = onFirstFrame;
    const tick = () => {
      this.draw();
      this.frame = requestAnimationFrame(tick);
    };
    this.frame = requestAnimationFrame(tick);
  }

  stop(): void {
    cancelAnimationFrame(this.frame);
  }

  private fit(): { width: number; height: number } {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(this.canvas.clientHeight * ratio));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    return { width, height };
  }

  private draw(): void {
    const { width, height } = this.fit();
    const seconds = (performance.now() - this.startedAt) / 1000;
    const target = this.level();
    this.jaw += (target - this.jaw) * (target > this.jaw ? 0.6 : 0.25); // opens fast, closes softly
    const breathing = 1 + 0.008 * Math.sin((seconds * 2 * Math.PI) / 4.2);
    const sway = 0.012 * Math.sin((seconds * 2 * Math.PI) / 7.3) + 0.01 * this.jaw * Math.sin(seconds * 9);
    const nod = this.jaw * 0.012 * height;
    const c = this.context;
    c.save();
    c.clearRect(0, 0, width, height);
    if (this.view === "round") {
      const radius = Math.min(width, height) / 2;
      c.beginPath();
      c.arc(width / 2, height / 2, radius, 0, 2 * Math.PI);
      c.closePath();
      c.clip();
      c.fillStyle = "#d9dde3";
      c.fillRect(0, 0, width, height);
    } else if (this.view === "rectangle" && !this.image) {
      c.fillStyle = "#d9dde3";
      c.fillRect(0, 0, width, height);
    }
    c.translate(width / 2, height * 0.9);
    c.rotate(sway);
    c.scale(breathing, breathing);
    c.translate(-width / 2, -height * 0.9 + nod);
    if (this.image) this.drawImage(width, height);
    else this.drawInitials(width, height);
    c.restore();
    this.framesDrawn += 1;
    if (this.jaw > SPEAKING_JAW) this.framesSpeaking += 1;
    if (this.firstFrame) {
      const done = this.firstFrame;
      this.firstFrame = null;
      done();
    }
  }

  /** The image placed for the view, then its lower face redrawn stretched down by the jaw opening. */
  private drawImage(width: number, height: number): void {
    const image = this.image as HTMLImageElement;
    const iw = image.naturalWidth;
    const ih = image.naturalHeight;
    // round and rectangle cover the box (round: zoomed on the face); silhouette fits the whole person.
    const cover = this.view !== "silhouette";
    const zoom = this.view === "round" ? 1.25 : 1;
    const scale = (cover ? Math.max(width / iw, height / ih) : Math.min(width / iw, height / ih)) * zoom;
    const dw = iw * scale;
    const dh = ih * scale;
    const dx = (width - dw) / 2;
    const focusY = this.view === "round" ? FACE_CENTER_Y : 0.5;
    const dy = cover ? Math.min(0, Math.max(height - dh, height / 2 - dh * focusY)) : height - dh;
    const c = this.context;
    c.drawImage(image, dx, dy, dw, dh);
    const open = this.jaw * MAX_JAW_OPEN * dh;
    if (open < 0.5) return;
    const sx = iw * JAW_LEFT;
    const sw = iw * (JAW_RIGHT - JAW_LEFT);
    const sy = ih * MOUTH_TOP;
    const sh = ih * (CHIN - MOUTH_TOP);
    c.drawImage(image, sx, sy, sw, sh, dx + sx * scale, dy + sy * scale, sw * scale, sh * scale + open);
  }

  private drawInitials(width: number, height: number): void {
    const c = this.context;
    const radius = Math.min(width, height) * 0.36;
    c.fillStyle = "#4b5d7a";
    c.beginPath();
    c.arc(width / 2, height / 2, radius, 0, 2 * Math.PI);
    c.fill();
    c.fillStyle = "#ffffff";
    c.font = `600 ${Math.round(radius * 0.8)}px system-ui, sans-serif`;
    c.textAlign = "center";
    c.textBaseline = "middle";
    c.fillText(initialsOf(this.name), width / 2, height / 2 + this.jaw * radius * 0.05);
    // the mouth of the placeholder: a bar that opens with the voice
    const mouth = radius * (0.04 + 0.18 * this.jaw);
    c.fillRect(width / 2 - radius * 0.22, height / 2 + radius * 0.5, radius * 0.44, mouth);
  }
}
