// Hear a voice before choosing it: GET /public/voices/{voiceId}/sample (the key's provider speaks a
// sentence with it), fetched with the signed-in user's token and played in an <audio> element. When
// the key's provider cannot speak, the voice list has no sampleUrl and the page says so.
import { useEffect, useState } from "preact/hooks";
import { errorOf } from "../../../../common/api";
import { ErrorText } from "../../shell/errors";
import { useSession } from "../../shell/session";
import type { Voice } from "./types";

export function VoiceSample({ voice, projectId }: { voice: Voice | undefined; projectId: string }) {
  const { user } = useSession();
  const [audio, setAudio] = useState<{ voiceId: string; url: string } | null>(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => () => { if (audio) URL.revokeObjectURL(audio.url); }, [audio]);
  if (!voice) return null;
  if (!voice.sampleUrl) return <p class="hint" data-testid="voice-no-sample">No sample: this project's key has no speech model to speak one.</p>;
  const play = async () => {
    setPending(true);
    setError(null);
    try {
      const response = await fetch(voice.sampleUrl!, {
        headers: { Authorization: `Bearer ${await user.accessToken()}`, "X-Project-Id": projectId, Accept: "audio/wav" },
      });
      if (!response.ok) throw errorOf(response.status, await response.text(), response.headers.get("Retry-After"));
      setAudio({ voiceId: voice.id, url: URL.createObjectURL(await response.blob()) });
    } catch (failure) {
      setError(failure);
    } finally {
      setPending(false);
    }
  };
  const shown = audio && audio.voiceId === voice.id ? audio : null;
  return (
    <div class="voice-sample">
      <button type="button" class="secondary" disabled={pending} onClick={() => void play()} data-testid="voice-sample-play">
        {pending ? "Fetching the sample…" : `Hear ${voice.name}`}
      </button>
      {shown && <audio src={shown.url} controls autoPlay data-testid="voice-sample-audio" data-voice={shown.voiceId} />}
      <ErrorText error={error} testId="voice-sample-error" />
    </div>
  );
}
