// The avatar in the Web SDK's three views, drawn by the SDK's own canvas code (web/sdk/src/avatar.ts,
// the same masks and fitting as a live session): round (the face in a circle), rectangle (the whole
// frame with its background) and silhouette (the person without background, from silhouetteUrl; until
// one exists the SDK draws the plain image there too, so a note says what will be shown).
import { useEffect, useRef, useState } from "preact/hooks";
import { AvatarCanvas, loadImage } from "../../../../sdk/src/avatar";
import { VIEWS, type AvatarView } from "./types";

const VIEW_LABELS: Record<AvatarView, string> = { round: "Round", rectangle: "Rectangle", silhouette: "Silhouette" };

export interface AvatarViewsProps {
  name: string;
  imageUrl: string | null;
  silhouetteUrl: string | null;
  /** Under the silhouette view: why it looks as it does (preparing, none, or made after upload). */
  silhouetteNote?: string;
  defaultView?: AvatarView;
  testId?: string;
}

export function AvatarViews(props: AvatarViewsProps) {
  return (
    <div class="avatar-views" data-testid={props.testId ?? "avatar-views"}>
      {VIEWS.map((view) => (
        <figure key={view} class={`avatar-view avatar-view-${view}`}>
          <ViewCanvas view={view} name={props.name} url={view === "silhouette" ? props.silhouetteUrl ?? props.imageUrl : props.imageUrl} />
          <figcaption>
            {VIEW_LABELS[view]}
            {props.defaultView === view && <span class="badge info">default</span>}
            {view === "silhouette" && props.silhouetteNote && <span class="hint" data-testid="silhouette-note">{props.silhouetteNote}</span>}
          </figcaption>
        </figure>
      ))}
    </div>
  );
}

function ViewCanvas({ view, name, url }: { view: AvatarView; name: string; url: string | null }) {
  const holder = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<"loading" | "drawn" | "failed">("loading");
  useEffect(() => {
    const avatar = new AvatarCanvas(view, name, () => 0); // idle: breathing and sway, no voice
    holder.current?.appendChild(avatar.canvas);
    let stopped = false;
    setState("loading");
    void loadImage(url).then((image) => {
      if (stopped) return;
      avatar.start(image, () => setState(url && !image ? "failed" : "drawn"));
    });
    return () => {
      stopped = true;
      avatar.stop();
      avatar.canvas.remove();
    };
  }, [view, name, url]);
  return (
    <div ref={holder} class="avatar-canvas-box" data-testid={`avatar-view-${view}`} data-state={state}
         data-source={url ?? ""} role="img" aria-label={`${name} in the ${view} view`} />
  );
}
