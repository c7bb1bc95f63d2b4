// Choosing an avatar image: drag and drop onto the zone, or the file picker. The rules are shown before
// anything is chosen, the file is checked in the browser (avatar_rules.ts) and, once it passes, shown
// in the three views before it is uploaded.
import { useRef, useState } from "preact/hooks";
import { AvatarViews } from "./avatar_views";
import { AvatarRefused, RULES_IN_WORDS, checkAvatarFile, type CheckedAvatar } from "./avatar_rules";
import { ErrorText } from "../../shell/errors";

export function AvatarRules() {
  return (
    <div class="avatar-rules" data-testid="avatar-rules">
      <h3>The avatar image</h3>
      <ul>
        {RULES_IN_WORDS.map((rule) => (
          <li key={rule}>{rule}</li>
        ))}
      </ul>
    </div>
  );
}

export function AvatarDrop(props: {
  name: string;
  chosen: CheckedAvatar | null;
  onChosen: (avatar: CheckedAvatar | null) => void;
  disabled?: boolean;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const [refusal, setRefusal] = useState<string[] | null>(null);
  const [checking, setChecking] = useState(false);

  const take = async (files: FileList | null | undefined) => {
    const file = files?.[0];
    if (!file) return;
    setChecking(true);
    setRefusal(null);
    try {
      if (props.chosen) URL.revokeObjectURL(props.chosen.objectUrl);
      props.onChosen(await checkAvatarFile(file));
    } catch (failure) {
      props.onChosen(null);
      setRefusal(failure instanceof AvatarRefused ? failure.problems : [String(failure)]);
    } finally {
      setChecking(false);
      if (input.current) input.current.value = ""; // the same file can be chosen again
    }
  };

  const chosen = props.chosen;
  return (
    <div class="avatar-drop">
      <AvatarRules />
      <div
        class={`drop-zone${over ? " over" : ""}`}
        data-testid="avatar-drop-zone"
        onDragOver={(event) => { event.preventDefault(); setOver(true); }}
        onDragLeave={() => setOver(false)}
        onDrop={(event) => { event.preventDefault(); setOver(false); if (!props.disabled) void take(event.dataTransfer?.files); }}
      >
        <p>{checking ? "Checking the image…" : "Drop the image here, or"}</p>
        <button type="button" class="secondary" disabled={props.disabled || checking} onClick={() => input.current?.click()}
                data-testid="avatar-choose">
          Choose a file…
        </button>
        <input ref={input} type="file" accept="image/jpeg,image/png,image/webp" class="visually-hidden"
               aria-label="Avatar image file" data-testid="avatar-file" onChange={(e) => void take(e.currentTarget.files)} />
      </div>
      {refusal && (
        <div role="alert" data-testid="avatar-refused">
          {refusal.map((problem) => <ErrorText key={problem} error={problem} />)}
        </div>
      )}
      {chosen && (
        <div data-testid="avatar-chosen">
          <p class="ok" data-testid="avatar-checked">
            {chosen.file.name}: {chosen.width}×{chosen.height}, {chosen.contentType.replace("image/", "").toUpperCase()},{" "}
            {(chosen.file.size / 1024).toFixed(0)} KB — meets the rules.
          </p>
          <AvatarViews name={props.name} imageUrl={chosen.objectUrl} silhouetteUrl={chosen.hasTransparency ? chosen.objectUrl : null}
                       testId="avatar-local-preview"
                       silhouetteNote={chosen.hasTransparency
                         ? "Its transparent background is the silhouette."
                         : "The person is cut out after upload; this view shows the plain image until then."} />
        </div>
      )}
    </div>
  );
}
