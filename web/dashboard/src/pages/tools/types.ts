// Functions (tools) and FAQ collections as /public/functions and /public/faqs answer them
// (shared/functions/models.py, shared/faqs/models.py).
export type Flow = "implicit" | "explicit";

export interface FunctionData {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface FunctionItem {
  id: string;
  data: FunctionData;
  flow: Flow;
  url: string | null;
  headers: Record<string, string> | null;
  prompt: string | null;
  hasSigningSecret: boolean;
  signingSecret?: string | null;
  created: number;
  updated: number | null;
}

export interface FaqItem {
  id: string;
  question: string;
  answer: string;
  createdAt: number;
  updatedAt: number | null;
}

export interface FaqCollection {
  id: string;
  name: string;
  created: number;
  items: FaqItem[];
}

export const STARTER_SCHEMA = `{
  "type": "object",
  "properties": {
    "city": { "type": "string", "description": "The city to look up" }
  },
  "required": ["city"]
}`;
