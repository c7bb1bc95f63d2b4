// One file's ingestion as a live progress bar: its GET polled while it is queued or processing, then
// its final status (or error) in words. `data-seen` keeps each progress value shown, for the record.
import { useEffect, useRef, useState } from "preact/hooks";
import { ErrorText } from "../../shell/errors";
import { useApi } from "../../shell/session";
import { fileStatusWords, isFinal, type KnowledgeFile } from "./types";

const POLL_MS = 700;

export function FileProgress({ file, projectId, onFinished }: { file: KnowledgeFile; projectId: string; onFinished?: (file: KnowledgeFile) => void }) {
  const api = useApi();
  const [current, setCurrent] = useState(file);
  const [pollError, setPollError] = useState<unknown>(null);
  const seen = useRef<string[]>([`${file.status}:${file.progress}`]);
  useEffect(() => setCurrent(file), [file]);
  useEffect(() => {
    if (isFinal(current.status)) return;
    let stopped = false;
    const timer = window.setTimeout(async () => {
      try {
        const next = await api.project<KnowledgeFile>(projectId, `/public/knowledge-bases/${encodeURIComponent(file.knowledgeBaseId)}/files/${encodeURIComponent(file.id)}`);
        if (stopped) return;
        setPollError(null);
        const mark = `${next.status}:${next.progress}`;
        if (seen.current[seen.current.length - 1] !== mark) seen.current = [...seen.current, mark];
        setCurrent(next);
        if (isFinal(next.status)) onFinished?.(next);
      } catch (failure) {
        if (!stopped) {
          setPollError(failure);
          setCurrent({ ...current }); // try again after the next pause
        }
      }
    }, POLL_MS);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [current]);
  return (
    <div class="file-progress" data-testid="file-progress" data-status={current.status} data-progress={current.progress}
         data-seen={seen.current.join(" ")}>
      <progress max={100} value={current.status === "failed" ? 0 : current.progress} aria-label={`${file.originalName}: ${current.progress}%`} />
      <span class="words" data-testid="file-status-words">{fileStatusWords(current)}</span>
      <ErrorText error={pollError} testId="file-poll-error" />
    </div>
  );
}
