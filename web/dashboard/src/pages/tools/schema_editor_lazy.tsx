// The schema editor loaded when a function form is first shown: CodeMirror and Ajv are most of the
// dashboard's weight, and only the Tools pages need them (Vite puts them in their own chunk).
import { useEffect, useState } from "preact/hooks";
import { messageOf } from "../../shell/api";
import { ErrorText } from "../../shell/errors";
import type { SchemaEditor as Editor } from "./schema_editor";

type EditorProps = Parameters<typeof Editor>[0];

export function LazySchemaEditor(props: EditorProps) {
  const [Loaded, setLoaded] = useState<typeof Editor | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  useEffect(() => {
    import("./schema_editor").then((module) => setLoaded(() => module.SchemaEditor), setFailure);
  }, []);
  if (failure) return <ErrorText error={`The schema editor could not be loaded: ${messageOf(failure)}`} testId="schema-editor-error" />;
  if (!Loaded) return <p class="muted" data-testid="schema-editor-loading">Loading the schema editor…</p>;
  return <Loaded {...props} />;
}
