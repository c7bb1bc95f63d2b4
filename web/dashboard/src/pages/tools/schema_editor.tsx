// The JSON Schema editor of a function's parameters: CodeMirror 6 with JSON highlighting, checked as you
// type (schema_check.ts): each problem underlined in the text and listed below with its line, column
// and JSON pointer.
import { json } from "@codemirror/lang-json";
import { linter, lintGutter, type Diagnostic } from "@codemirror/lint";
import { EditorView, basicSetup } from "codemirror";
import { useEffect, useRef, useState } from "preact/hooks";
import { schemaProblems, type SchemaProblem } from "./schema_check";

export function SchemaEditor(props: { value: string; onChange: (text: string, valid: boolean) => void; disabled?: boolean }) {
  const holder = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  const [problems, setProblems] = useState<SchemaProblem[]>(() => schemaProblems(props.value).problems);

  useEffect(() => {
    const check = linter(
      (editor): Diagnostic[] => {
        const text = editor.state.doc.toString();
        const found = schemaProblems(text).problems;
        setProblems(found);
        onChange.current(text, found.length === 0);
        return found.map((p) => ({ from: p.from, to: p.to, severity: "error", message: p.pointer ? `${p.pointer}: ${p.message}` : p.message }));
      },
      { delay: 120 },
    );
    view.current = new EditorView({
      doc: props.value,
      parent: holder.current!,
      extensions: [
        basicSetup,
        json(),
        lintGutter(),
        check,
        EditorView.contentAttributes.of({ "aria-label": "Parameters (JSON Schema)", "data-testid": "schema-editor-content" }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange.current(update.state.doc.toString(), false); // valid once checked
        }),
      ],
    });
    return () => view.current?.destroy();
  }, []);

  // A new value from outside (a function loaded, a form reset) replaces the text.
  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== props.value) {
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: props.value } });
    }
  }, [props.value]);

  return (
    <div class="schema-editor">
      <div ref={holder} class={`schema-editor-box${props.disabled ? " disabled" : ""}`} data-testid="schema-editor" />
      {problems.length === 0 ? (
        <p class="ok" data-testid="schema-valid">A valid JSON Schema (2020-12) of an object.</p>
      ) : (
        <ul class="schema-errors" role="alert" data-testid="schema-errors">
          {problems.map((p) => (
            <li key={`${p.pointer}|${p.message}`} data-testid="schema-error" data-line={p.line} data-pointer={p.pointer}>
              <span class="where">Line {p.line}, column {p.column}{p.pointer ? ` · ${p.pointer}` : ""}</span>: {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
