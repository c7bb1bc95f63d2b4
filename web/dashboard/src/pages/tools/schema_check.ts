// What is wrong with a function's parameters schema, each problem with its place in the text: the JSON
// itself (parse errors), the JSON Schema 2020-12 meta-schema (Ajv 8), and the API's own rule that the
// arguments are an object schema ("type": "object"). Places come from the JSON syntax tree (Lezer's
// JSON grammar, the one the editor highlights with), found by each error's JSON pointer.
import { jsonLanguage } from "@codemirror/lang-json";
import Ajv2020 from "ajv/dist/2020";

export interface SchemaProblem {
  from: number;
  to: number;
  line: number;
  column: number;
  /** The JSON pointer in the schema ("" for the whole document). */
  pointer: string;
  message: string;
}

const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });

type Tree = ReturnType<typeof jsonLanguage.parser.parse>;
type Node = Tree["topNode"];

export function schemaProblems(text: string): { problems: SchemaProblem[]; schema: Record<string, unknown> | null } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (failure) {
    const at = parseErrorOffset(String((failure as Error).message), text);
    return { problems: [problem(text, at, Math.min(text.length, at + 1), "", `Not valid JSON: ${(failure as Error).message}`)], schema: null };
  }
  const tree = jsonLanguage.parser.parse(text);
  const problems: SchemaProblem[] = [];
  if (!ajv.validateSchema(parsed as object)) {
    for (const error of ajv.errors ?? []) {
      const node = nodeAt(tree, text, error.instancePath);
      const detail = error.params && "allowedValues" in error.params ? ` (${(error.params.allowedValues as unknown[]).join(", ")})` : "";
      problems.push(problem(text, node?.from ?? 0, node?.to ?? 0, error.instancePath, `${error.message ?? "is not valid"}${detail}`));
    }
  }
  const isObject = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed);
  if (!isObject || (parsed as Record<string, unknown>).type !== "object") {
    const node = isObject && "type" in (parsed as object) ? nodeAt(tree, text, "/type") : nodeAt(tree, text, "");
    problems.push(problem(text, node?.from ?? 0, node?.to ?? 0, isObject ? "/type" : "", 'the arguments must be an object schema: "type": "object"'));
  }
  return { problems: dedupe(problems), schema: problems.length ? null : (parsed as Record<string, unknown>) };
}

function problem(text: string, from: number, to: number, pointer: string, message: string): SchemaProblem {
  const before = text.slice(0, from);
  const line = before.split("\n").length;
  const column = from - before.lastIndexOf("\n");
  return { from, to: Math.max(to, from), line, column, pointer, message };
}

function dedupe(problems: SchemaProblem[]): SchemaProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.pointer}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Where JSON.parse stopped: V8 says "at position N" (or "line L column C"). */
function parseErrorOffset(message: string, text: string): number {
  const position = /position (\d+)/.exec(message);
  if (position) return Math.min(text.length, Number(position[1]));
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) {
    const lines = text.split("\n").slice(0, Number(lineColumn[1]) - 1);
    return Math.min(text.length, lines.join("\n").length + (lines.length ? 1 : 0) + Number(lineColumn[2]) - 1);
  }
  return text.length;
}

function children(node: Node): Node[] {
  const all: Node[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) all.push(child);
  return all;
}

const VALUE_NODES = new Set(["Object", "Array", "String", "Number", "True", "False", "Null"]);

/** The syntax node of the value at `pointer` (RFC 6901), or the nearest enclosing one found. */
function nodeAt(tree: Tree, text: string, pointer: string): Node | null {
  let node: Node | null = children(tree.topNode).find((child) => VALUE_NODES.has(child.name)) ?? null;
  if (!node) return null;
  const steps = pointer.split("/").slice(1).map((step) => step.replace(/~1/g, "/").replace(/~0/g, "~"));
  for (const step of steps) {
    let next: Node | null = null;
    if (node.name === "Object") {
      for (const property of children(node).filter((child) => child.name === "Property")) {
        const parts = children(property);
        const name = parts.find((part) => part.name === "PropertyName");
        if (name && safeParse(text.slice(name.from, name.to)) === step) {
          next = parts.find((part) => VALUE_NODES.has(part.name)) ?? name;
          break;
        }
      }
    } else if (node.name === "Array") {
      next = children(node).filter((child) => VALUE_NODES.has(child.name))[Number(step)] ?? null;
    }
    if (!next) return node;
    node = next;
  }
  return node;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
