// The companion as /public/companions answers it (shared/companions/models.py: Companion, AvatarInfo).
export type AvatarView = "round" | "rectangle" | "silhouette";
export type SilhouetteSource = "preparing" | "alphaChannel" | "cutOut" | "none";

export interface AvatarInfo {
  contentType: string;
  width: number;
  height: number;
  sizeBytes: number;
  silhouette: SilhouetteSource;
  silhouetteUrl: string | null;
}

export interface Companion {
  id: string;
  firstName: string | null;
  lastName: string | null;
  previewUrl: string | null;
  headline: string | null;
  status: "pending" | "generationCompleted" | "readyToUse" | "completed";
  description: string;
  instructions: string | null;
  gender: string | null;
  defaultView: AvatarView;
  avatar: AvatarInfo | null;
  isStock: boolean;
  created: number;
}

export const VIEWS: readonly AvatarView[] = ["round", "rectangle", "silhouette"];

export function companionName(companion: Pick<Companion, "id" | "firstName" | "lastName">): string {
  return [companion.firstName, companion.lastName].filter(Boolean).join(" ") || companion.id;
}

/** The avatar's preparation in words: what the status means for the person waiting. */
export function statusWords(companion: Companion): string {
  if (companion.isStock) return "Ready to use (built in)";
  if (!companion.avatar) return "Pending: upload an avatar image to make it usable";
  if (companion.avatar.silhouette === "preparing") return "Pending: cutting the person out of the image for the silhouette view…";
  if (companion.avatar.silhouette === "none") return "Ready to use (no person was found to cut out: the silhouette view shows the whole image)";
  return "Ready to use";
}
