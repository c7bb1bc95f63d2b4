// The app's HTTP API as its own pages (the Playground, the dashboard) call it: same origin, JSON, and
// the published error body ({code, description, type, numericType, details?}) turned into words for
// the page to show beside the control that caused it (`details` names the offending fields).

/** One offending field of a 400: its dotted path in the request (`provider.endpoint`) and why. */
export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly retryAfterSeconds: number | null = null, // 429's Retry-After
    readonly details: FieldError[] = [],
  ) {
    super(status ? `${description} (${code}, HTTP ${status})` : description);
    this.name = "ApiError";
  }
}

export interface ProjectScope {
  projectId: string;
  apiKeyId?: string; // X-Api-Key-Id: which of the project's keys provides the model (default: oldest)
}

export interface CallOptions {
  method?: string;
  /** JSON unless a Blob/File (sent as is, with its type) or FormData (multipart). */
  body?: unknown;
  token?: string; // Authorization: Bearer
  project?: ProjectScope; // X-Project-Id (+ X-Api-Key-Id): a signed-in user on /public
}

export async function call<T>(path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const raw = options.body instanceof Blob || options.body instanceof FormData;
  if (options.body instanceof Blob && options.body.type) headers["Content-Type"] = options.body.type;
  else if (options.body !== undefined && !raw) headers["Content-Type"] = "application/json";
  // FormData: the browser writes the multipart Content-Type with its boundary.
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.project) {
    headers["X-Project-Id"] = options.project.projectId;
    if (options.project.apiKeyId) headers["X-Api-Key-Id"] = options.project.apiKeyId;
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? "GET",
      headers,
      body: options.body === undefined ? undefined : raw ? (options.body as BodyInit) : JSON.stringify(options.body),
    });
  } catch (failure) {
    throw new ApiError(0, "NetworkError", `Could not reach the app (${String(failure)}). Is it running?`);
  }
  const text = await response.text();
  if (!response.ok) throw errorOf(response.status, text, response.headers.get("Retry-After"));
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The published error body in words; anything else (a proxy's page, an empty 500) by its status. */
export function errorOf(status: number, text: string, retryAfter: string | null = null): ApiError {
  const seconds = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : null;
  try {
    const body = JSON.parse(text) as { code?: unknown; description?: unknown; details?: unknown };
    if (typeof body.code === "string" && typeof body.description === "string") {
      return new ApiError(status, body.code, body.description, seconds, fieldErrorsOf(body.details));
    }
  } catch {
    // not JSON: fall through
  }
  const snippet = text.trim().slice(0, 200);
  return new ApiError(status, `Http${status}`, snippet || `The app answered HTTP ${status} with no explanation.`, seconds);
}

function fieldErrorsOf(details: unknown): FieldError[] {
  if (!Array.isArray(details)) return [];
  return details.filter(
    (detail): detail is FieldError => typeof detail?.field === "string" && typeof detail?.message === "string",
  );
}

export function messageOf(failure: unknown): string {
  if (failure instanceof ApiError) return failure.message;
  if (failure instanceof Error) return failure.message;
  return String(failure);
}

/** The published list envelope: one page of a collection. */
export interface Page<T> {
  items: T[];
  totalCount: number;
  pageIndex: number;
  pageSize: number;
}

/** Every item of a listed collection, page after page (pickers show them all). */
export async function listAll<T>(path: string, options: CallOptions = {}, pageSize = 100): Promise<T[]> {
  const items: T[] = [];
  for (let pageIndex = 0; ; pageIndex += 1) {
    const separator = path.includes("?") ? "&" : "?";
    const page = await call<Page<T>>(`${path}${separator}pageIndex=${pageIndex}&pageSize=${pageSize}`, options);
    items.push(...page.items);
    if (page.items.length < pageSize || items.length >= page.totalCount) return items;
  }
}
