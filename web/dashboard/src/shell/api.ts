// The dashboard's API client: the shared one (web/common/api.ts: same origin, JSON, the published
// error body in words, its field details) with the signed-in user's bearer token on every call and,
// on /public, the project's X-Project-Id. Pages get it from useApi() (session.tsx).
import { ApiError, call, messageOf, type CallOptions, type FieldError, type Page } from "../../../common/api";
import type { SignedIn } from "../../../common/sign_in";

export { ApiError, messageOf, type FieldError, type Page };

export type RequestOptions = Pick<CallOptions, "method" | "body">;

export interface Api {
  /** A /manage call (or any route taking only the bearer token). */
  manage<T>(path: string, options?: RequestOptions): Promise<T>;
  /** A /public call on a project, as a signed-in user: Authorization + X-Project-Id. */
  project<T>(projectId: string, path: string, options?: RequestOptions): Promise<T>;
  /** One page of a listed collection (the published list envelope), on /manage or, with
   * `projectId`, on /public. `path` may carry its own query (filters); paging is added. */
  page<T>(path: string, pageIndex: number, pageSize: number, projectId?: string): Promise<Page<T>>;
  /** A body that is not JSON (an image, a multipart form with files) to a project's /public route:
   * a Blob/File goes as is with its own type (or `contentType`), FormData as multipart. */
  upload<T>(projectId: string, path: string, body: Blob | FormData, options?: { method?: string; contentType?: string }): Promise<T>;
}

/** A client for `user`; `onUnauthorized` runs when the app no longer accepts the token (401). */
export function apiFor(user: SignedIn, onUnauthorized: () => void): Api {
  async function send<T>(path: string, options: CallOptions): Promise<T> {
    try {
      return await call<T>(path, { ...options, token: await user.accessToken() });
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 401) onUnauthorized();
      throw failure;
    }
  }
  return {
    manage: (path, options = {}) => send(path, options),
    project: (projectId, path, options = {}) => send(path, { ...options, project: { projectId } }),
    page: (path, pageIndex, pageSize, projectId) => {
      const separator = path.includes("?") ? "&" : "?";
      const paged = `${path}${separator}pageIndex=${pageIndex}&pageSize=${pageSize}`;
      return send(paged, projectId ? { project: { projectId } } : {});
    },
    upload: (projectId, path, body, options = {}) => {
      // A Blob's type is its Content-Type: slice() gives the same bytes under the type named.
      const typed = body instanceof Blob && options.contentType ? body.slice(0, body.size, options.contentType) : body;
      return send(path, { method: options.method ?? "POST", body: typed, project: { projectId } });
    },
  };
}

/** Every item of a listed collection, page after page (pickers and switchers show them all). */
export async function everything<T>(api: Api, path: string, projectId?: string): Promise<T[]> {
  const items: T[] = [];
  const size = 100;
  for (let index = 0; ; index += 1) {
    const page = await api.page<T>(path, index, size, projectId);
    items.push(...page.items);
    if (page.items.length < size || items.length >= page.totalCount) return items;
  }
}
