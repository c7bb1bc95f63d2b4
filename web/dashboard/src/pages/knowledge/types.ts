// Knowledge collections and their files as /public/knowledge-bases answers them
// (shared/knowledge/models.py, shared/knowledge/files.py).
export interface KnowledgeBase {
  id: string;
  name: string;
  provider: "azureOpenAI" | "openAICompatible";
  created: number;
}

export type FileStatus = "queued" | "processing" | "ready" | "failed";

export interface KnowledgeFile {
  id: string;
  originalName: string;
  knowledgeBaseId: string;
  contentType: string;
  createdAt: string;
  updatedAt: string;
  status: FileStatus;
  progress: number;
  sizeBytes: number | null;
  title: string | null;
  summary: string | null;
  chunkCount: number;
  characterCount: number;
  pageCount: number | null;
  sourceUrl: string | null;
  error: { code: string; message: string } | null;
}

export interface SearchResult {
  fileId: string;
  title: string;
  chunk: number;
  text: string;
  headings: string[];
  page: number | null;
  score: number;
}

export const UPLOAD_RULES =
  "PDF and Word files up to 50 MB; HTML, Markdown and plain text up to 10 MB; at most 30 files per collection. " +
  "Each file is read, cut into passages and indexed in the background: its bar shows how far it got.";

export function isFinal(status: FileStatus): boolean {
  return status === "ready" || status === "failed";
}

/** A file's state in words, for the person watching it. */
export function fileStatusWords(file: KnowledgeFile): string {
  switch (file.status) {
    case "queued":
      return file.sourceUrl ? "Queued: waiting to download it" : "Queued: waiting to be read";
    case "processing":
      return `Processing: ${file.progress}%`;
    case "ready":
      return `Ready: ${file.chunkCount} passage${file.chunkCount === 1 ? "" : "s"} indexed${file.pageCount ? ` from ${file.pageCount} pages` : ""}`;
    case "failed":
      return `Failed: ${file.error?.message ?? "the file could not be ingested."}`;
  }
}
