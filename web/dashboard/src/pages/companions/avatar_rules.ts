// The avatar upload rule of the API (shared/companions/avatar.py), told before upload and checked in the
// browser where it can be: the type by the file's first bytes (the API judges content, not names), the
// size, and the pixel size from the decoded image. The API stays the judge: its 400/413/415 words are
// shown too.

export const MAX_AVATAR_BYTES = 10 * 1024 * 1024;
export const MIN_WIDTH = 1280;
export const MIN_HEIGHT = 720;
export const ASPECT_RATIO = 16 / 9;
export const ASPECT_TOLERANCE = 0.02;

export const RULES_IN_WORDS = [
  "A JPEG, PNG or WebP image (judged by its content, not its name).",
  "16:9 landscape, within ±2% (for example 1280×720 or 1920×1080).",
  "At least 1280×720 pixels.",
  "At most 10 MB.",
  "A head-and-shoulders portrait, face in the upper half. A PNG or WebP with a transparent background is its own silhouette; otherwise the person is cut out after upload (about a second).",
];

export interface CheckedAvatar {
  file: File;
  contentType: "image/jpeg" | "image/png" | "image/webp";
  width: number;
  height: number;
  /** Whether the image has transparent pixels (then it is its own silhouette). */
  hasTransparency: boolean;
  objectUrl: string;
}

/** What the first bytes say the file is, or null for anything but JPEG, PNG and WebP. */
export function sniffImageType(head: Uint8Array): CheckedAvatar["contentType"] | null {
  const starts = (bytes: number[], at = 0) => bytes.every((byte, index) => head[at + index] === byte);
  if (starts([0xff, 0xd8, 0xff])) return "image/jpeg";
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return "image/webp";
  return null;
}

/** Each rule a `width`×`height` image breaks, in the API's terms. */
export function shapeProblems(width: number, height: number): string[] {
  const problems: string[] = [];
  const ratio = height ? width / height : 0;
  if (!height || Math.abs(ratio / ASPECT_RATIO - 1) > ASPECT_TOLERANCE) {
    problems.push(`The image is ${width}×${height} (aspect ratio ${ratio.toFixed(3)}); avatars must be 16:9 (1.778) within ±2%.`);
  }
  if (width < MIN_WIDTH || height < MIN_HEIGHT) {
    problems.push(`The image is ${width}×${height}; avatars must be at least ${MIN_WIDTH}×${MIN_HEIGHT}.`);
  }
  return problems;
}

export class AvatarRefused extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join(" "));
    this.name = "AvatarRefused";
  }
}

/** The file checked against the rule (decoded once, to measure it), or AvatarRefused naming each problem. */
export async function checkAvatarFile(file: File): Promise<CheckedAvatar> {
  if (file.size > MAX_AVATAR_BYTES) {
    throw new AvatarRefused([`“${file.name}” is ${(file.size / 1024 / 1024).toFixed(1)} MB; the limit is 10 MB.`]);
  }
  const contentType = sniffImageType(new Uint8Array(await file.slice(0, 16).arrayBuffer()));
  if (!contentType) throw new AvatarRefused([`“${file.name}” is not a JPEG, PNG or WebP image.`]);
  const objectUrl = URL.createObjectURL(file);
  const image = new Image();
  image.src = objectUrl;
  try {
    await image.decode();
  } catch {
    URL.revokeObjectURL(objectUrl);
    throw new AvatarRefused([`“${file.name}” could not be read as an image (damaged or incomplete).`]);
  }
  const problems = shapeProblems(image.naturalWidth, image.naturalHeight);
  if (problems.length) {
    URL.revokeObjectURL(objectUrl);
    throw new AvatarRefused(problems);
  }
  const hasTransparency = contentType !== "image/jpeg" && transparent(image);
  return { file, contentType, width: image.naturalWidth, height: image.naturalHeight, hasTransparency, objectUrl };
}

/** Whether a small copy of the image has clearly transparent pixels (the API's rule: ≥1% of them). */
function transparent(image: HTMLImageElement): boolean {
  const canvas = document.createElement("canvas");
  canvas.width = 160;
  canvas.height = 90;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  if (!context) return false;
  context.drawImage(image, 0, 0, canvas.width, canvas.height);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let clear = 0;
  for (let index = 3; index < pixels.length; index += 4) if (pixels[index] < 128) clear += 1;
  return clear >= (canvas.width * canvas.height) / 100;
}
