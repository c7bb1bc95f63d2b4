// Per-channel settings of an agent (PUT /public/agents/{id}/channels/{type}): what that channel's
// sessions use instead of the agent's own values. A channel never configured uses the agent as it is.
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../../shell/api";
import { ErrorText } from "../../shell/errors";
import { useAction, useLoad } from "../../shell/hooks";
import { useApi } from "../../shell/session";
import type { Choices } from "./choices";
import { CHANNEL_LABELS, CHANNEL_TYPES, type Agent, type ChannelConfig, type ChannelType } from "./types";

interface ChannelDraft {
  overrideInstructions: boolean;
  instructions: string;
  knowledgeBaseId: string; // "" = the agent's
  videoPolicy: "" | "required" | "deferred";
  useGreenVideo: boolean;
  initialSpeech: string;
  url: string;
}

function draftOf(config: ChannelConfig | null): ChannelDraft {
  return {
    overrideInstructions: config?.providerSettings?.instructions != null,
    instructions: config?.providerSettings?.instructions ?? "",
    knowledgeBaseId: config?.knowledgeBaseId ?? "",
    videoPolicy: config?.videoPolicy ?? "",
    useGreenVideo: config?.useGreenVideo ?? false,
    initialSpeech: config?.initialSpeech ?? "",
    url: config?.url ?? "",
  };
}

const VIDEO_CHANNELS: readonly ChannelType[] = ["webrtc", "kiosk"];

function bodyOf(channel: ChannelType, draft: ChannelDraft): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (draft.overrideInstructions) body.providerSettings = { instructions: draft.instructions };
  if (draft.knowledgeBaseId) body.knowledgeBaseId = draft.knowledgeBaseId;
  if (VIDEO_CHANNELS.includes(channel)) {
    if (draft.videoPolicy) body.videoPolicy = draft.videoPolicy;
    body.useGreenVideo = draft.useGreenVideo;
  }
  if (channel === "kiosk") {
    if (draft.initialSpeech.trim()) body.initialSpeech = draft.initialSpeech.trim();
    if (draft.url.trim()) body.url = draft.url.trim();
  }
  return body;
}

export function ChannelSettings({ agent, choices, projectId, writer }: { agent: Agent; choices: Choices; projectId: string; writer: boolean }) {
  const api = useApi();
  const [channel, setChannel] = useState<ChannelType>("webrtc");
  const path = `/public/agents/${encodeURIComponent(agent.id)}/channels/${channel}`;
  const loaded = useLoad(async () => {
    try {
      return await api.project<ChannelConfig>(projectId, path);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 404) return null; // never configured
      throw failure;
    }
  }, [path]);
  const [config, setConfig] = useState<ChannelConfig | null>(null);
  const [draft, setDraft] = useState<ChannelDraft>(draftOf(null));
  const [saved, setSaved] = useState<string | null>(null);
  useEffect(() => {
    if (loaded.data !== undefined) {
      setConfig(loaded.data);
      setDraft(draftOf(loaded.data));
      setSaved(null);
    }
  }, [loaded.data, loaded.loading]); // a channel never configured loads as null, like the one before
  const save = useAction(async () => {
    setSaved(null);
    const written = await api.project<ChannelConfig>(projectId, path, { method: "PUT", body: bodyOf(channel, draft) });
    setConfig(written);
    setSaved("Saved: this channel's sessions use these settings.");
  });
  const reset = useAction(async () => {
    await api.project<void>(projectId, path, { method: "DELETE" });
    setConfig(null);
    setDraft(draftOf(null));
    setSaved("Removed: this channel uses the agent's own settings.");
  });
  const set = (changes: Partial<ChannelDraft>) => { setDraft({ ...draft, ...changes }); setSaved(null); };
  return (
    <section class="card" aria-labelledby="channels-title" data-testid="channel-settings">
      <h2 id="channels-title">Channels</h2>
      <div class="channel-tabs" role="group" aria-label="Channel">
        {CHANNEL_TYPES.map((type) => (
          <button key={type} type="button" class="secondary" aria-pressed={type === channel} onClick={() => setChannel(type)} data-testid={`channel-${type}`}>
            {type}
          </button>
        ))}
      </div>
      <p class="hint" data-testid="channel-state">
        {CHANNEL_LABELS[channel]}: {loaded.loading ? "loading…" : config ? `configured (${config.id})` : "not configured: its sessions use the agent's own settings."}
      </p>
      <ErrorText error={loaded.error} testId="channel-load-error" />
      <form onSubmit={(e) => { e.preventDefault(); void save.run(); }} data-testid="channel-form">
        <fieldset disabled={!writer || loaded.loading}>
          <label class="check">
            <input type="checkbox" checked={draft.overrideInstructions} onChange={(e) => set({ overrideInstructions: e.currentTarget.checked })} data-testid="channel-override-instructions" />
            Other instructions on this channel
          </label>
          {draft.overrideInstructions && (
            <textarea aria-label="Channel instructions" rows={3} maxLength={16000} value={draft.instructions}
                      onInput={(e) => set({ instructions: e.currentTarget.value })} data-testid="channel-instructions" />
          )}
          <label for="channel-knowledge">Knowledge collection</label>
          <select id="channel-knowledge" value={draft.knowledgeBaseId} onChange={(e) => set({ knowledgeBaseId: e.currentTarget.value })} data-testid="channel-knowledge">
            <option value="">The agent's</option>
            {choices.knowledgeBases.map((kb) => <option key={kb.id} value={kb.id}>{kb.label}</option>)}
          </select>
          {VIDEO_CHANNELS.includes(channel) && (
            <>
              <label for="channel-video-policy">Video</label>
              <select id="channel-video-policy" value={draft.videoPolicy} onChange={(e) => set({ videoPolicy: e.currentTarget.value as ChannelDraft["videoPolicy"] })}
                      data-testid="channel-video-policy">
                <option value="">Default (required)</option>
                <option value="required">Required: the avatar starts with the session</option>
                <option value="deferred">Deferred: the session may start before the avatar</option>
              </select>
              <label class="check">
                <input type="checkbox" checked={draft.useGreenVideo} onChange={(e) => set({ useGreenVideo: e.currentTarget.checked })} data-testid="channel-green-video" />
                Green-screen video
              </label>
            </>
          )}
          {channel === "kiosk" && (
            <>
              <label for="channel-initial-speech">What the agent says first</label>
              <input id="channel-initial-speech" type="text" maxLength={1000} value={draft.initialSpeech} onInput={(e) => set({ initialSpeech: e.currentTarget.value })} />
              <label for="channel-url">Kiosk page URL</label>
              <input id="channel-url" type="url" maxLength={2000} value={draft.url} onInput={(e) => set({ url: e.currentTarget.value })} />
            </>
          )}
          {writer && (
            <div class="row">
              <button type="submit" disabled={save.pending} data-testid="channel-save">Save {channel} settings</button>
              {config && <button type="button" class="secondary" disabled={reset.pending} onClick={() => void reset.run()} data-testid="channel-reset">Use the agent's settings</button>}
            </div>
          )}
        </fieldset>
        {saved && <p class="ok" data-testid="channel-saved">{saved}</p>}
        <ErrorText error={save.error ?? reset.error} testId="channel-save-error" />
      </form>
    </section>
  );
}
