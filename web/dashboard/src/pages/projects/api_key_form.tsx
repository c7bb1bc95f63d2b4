// Creating a project API key: its name and the model provider its sessions use (customer-hosted
// Azure OpenAI, any OpenAI-compatible API, or the platform's hosted model), as
// shared/management/providers.py takes them. The provider's own key is write-only: sent once, never shown.
import { useState } from "preact/hooks";
import { ErrorText, fieldErrors } from "../../shell/errors";
import { useAction } from "../../shell/hooks";
import { useApi } from "../../shell/session";

export type ProviderType = "hosted" | "azure-openai" | "openai-compatible";

export interface ApiKey {
  id: string;
  name: string;
  keyHint: string;
  provider: { type: ProviderType } & Record<string, unknown>;
  createdAt: string;
}

export interface ApiKeyCreated extends ApiKey {
  key: string;
}

interface FieldSpec {
  name: string; // the provider's wire field
  label: string;
  hint?: string;
  required?: boolean;
  secret?: boolean;
  initial?: string;
  placeholder?: string;
}

const PROVIDERS: Record<ProviderType, { label: string; intro: string; fields: FieldSpec[] }> = {
  hosted: {
    label: "Hosted (the platform's model)",
    intro: "Sessions use the platform's own model: nothing to configure. Billed as hosted minutes.",
    fields: [],
  },
  "azure-openai": {
    label: "Azure OpenAI (your own resource)",
    intro: "Sessions call your Azure OpenAI deployment. Without a key, the platform's managed identity is used (grant it access to the resource).",
    fields: [
      { name: "endpoint", label: "Endpoint", required: true, placeholder: "https://<resource>.openai.azure.com/" },
      { name: "deployment", label: "Chat deployment", required: true, placeholder: "gpt-4o" },
      { name: "apiVersion", label: "API version", required: true, initial: "2024-10-21" },
      { name: "transcriptionDeployment", label: "Speech-to-text deployment", hint: "Optional (e.g. whisper): people may speak to the agent." },
      { name: "speechDeployment", label: "Text-to-speech deployment", hint: "Optional (e.g. tts): the agent speaks its answers." },
      { name: "apiKey", label: "Resource key", secret: true, hint: "Optional; write-only: stored sealed and never shown again." },
    ],
  },
  "openai-compatible": {
    label: "OpenAI-compatible API",
    intro: "OpenAI itself, a gateway or a local server speaking the OpenAI API.",
    fields: [
      { name: "baseUrl", label: "Base URL", required: true, placeholder: "https://api.openai.com/v1" },
      { name: "model", label: "Chat model", required: true, placeholder: "gpt-4o-mini" },
      { name: "apiKey", label: "API key", secret: true, hint: "Write-only: stored sealed and never shown again." },
      { name: "transcriptionModel", label: "Speech-to-text model", hint: "Optional (e.g. whisper-1)." },
      { name: "speechModel", label: "Text-to-speech model", hint: "Optional (e.g. tts-1)." },
      { name: "embeddingModel", label: "Embedding model", hint: "Optional: knowledge search with your own embeddings." },
    ],
  },
};

function initialValues(): Record<string, string> {
  const values: Record<string, string> = {};
  for (const provider of Object.values(PROVIDERS)) for (const field of provider.fields) values[field.name] ??= field.initial ?? "";
  return values;
}

/** The `provider` body: the type and its non-empty fields (blank optional fields are left out). */
export function providerBody(type: ProviderType, values: Record<string, string>): Record<string, string> {
  const body: Record<string, string> = { type };
  for (const field of PROVIDERS[type].fields) {
    const value = (values[field.name] ?? "").trim();
    if (value) body[field.name] = value;
  }
  return body;
}

export function providerLabel(type: ProviderType): string {
  return PROVIDERS[type]?.label ?? type;
}

export function CreateApiKey({ projectId, onCreated }: { projectId: string; onCreated: (key: ApiKeyCreated) => void }) {
  const api = useApi();
  const [name, setName] = useState("");
  const [type, setType] = useState<ProviderType>("hosted");
  const [values, setValues] = useState<Record<string, string>>(initialValues);
  const create = useAction(async () => {
    const created = await api.manage<ApiKeyCreated>(`/manage/projects/${encodeURIComponent(projectId)}/api-keys`, {
      method: "POST",
      body: { name: name.trim(), provider: providerBody(type, values) },
    });
    setName("");
    setValues(initialValues()); // the provider's secret does not linger in the form
    onCreated(created);
  });
  const byField = fieldErrors(create.error);
  const provider = PROVIDERS[type];
  return (
    <section class="card" aria-labelledby="create-key-title">
      <h2 id="create-key-title">Create an API key</h2>
      <form onSubmit={(e) => { e.preventDefault(); void create.run(); }} data-testid="create-key" autocomplete="off">
        <label for="key-name">Name</label>
        <input id="key-name" type="text" required maxLength={100} value={name} placeholder="Website"
               onInput={(e) => setName(e.currentTarget.value)} data-testid="key-name" />
        <ErrorText error={byField.name} />
        <fieldset>
          <legend>Model provider</legend>
          {(Object.keys(PROVIDERS) as ProviderType[]).map((option) => (
            <label class="check" key={option}>
              <input type="radio" name="provider-type" value={option} checked={type === option}
                     onChange={() => setType(option)} data-testid={`provider-${option}`} />
              {PROVIDERS[option].label}
            </label>
          ))}
          <p class="hint">{provider.intro}</p>
          {provider.fields.map((field) => (
            <div key={`${type}-${field.name}`}>
              <label for={`provider-${field.name}`}>
                {field.label} {!field.required && <span class="muted">(optional)</span>}
              </label>
              <input id={`provider-${field.name}`} type={field.secret ? "password" : "text"} required={field.required}
                     placeholder={field.placeholder} value={values[field.name] ?? ""} autocomplete={field.secret ? "new-password" : "off"}
                     onInput={(e) => setValues({ ...values, [field.name]: e.currentTarget.value })}
                     data-testid={`provider-field-${field.name}`} />
              {field.hint && <p class="hint">{field.hint}</p>}
              <ErrorText error={byField[`provider.${field.name}`]} testId={`provider-error-${field.name}`} />
            </div>
          ))}
        </fieldset>
        <button type="submit" disabled={create.pending} data-testid="create-key-submit">Create key</button>
        <ErrorText error={create.error} testId="create-key-error" />
      </form>
    </section>
  );
}
