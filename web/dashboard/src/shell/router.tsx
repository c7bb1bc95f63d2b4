// A small path router of our own: the dashboard's pages live under /dashboard/... (the app answers
// index.html for every such path), so links are real URLs that can be bookmarked, reloaded and shared.
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

export const BASE = "/dashboard";
const NAVIGATED = "dashboard:navigate";

export type RouteParams = Record<string, string>;

/** The path inside the dashboard: "/" for /dashboard and /dashboard/, "/orgs/org_1" for /dashboard/orgs/org_1. */
export function currentPath(): string {
  const path = location.pathname;
  if (path !== BASE && !path.startsWith(`${BASE}/`)) return "/";
  const inside = path.slice(BASE.length).replace(/\/+$/, "");
  return inside || "/";
}

/** Go to a dashboard path (with an optional "?query"), adding to the browser's history unless `replace`. */
export function navigate(to: string, replace = false): void {
  const url = BASE + (to.startsWith("/") ? to : `/${to}`);
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  dispatchEvent(new Event(NAVIGATED));
}

/** The current path, re-rendering on navigation (links, back and forward). */
export function usePath(): string {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const update = () => setPath(currentPath());
    addEventListener("popstate", update);
    addEventListener(NAVIGATED, update);
    return () => {
      removeEventListener("popstate", update);
      removeEventListener(NAVIGATED, update);
    };
  }, []);
  return path;
}

/** The query string's values ("?status=ended" -> get("status")); read at render time. */
export function query(): URLSearchParams {
  return new URLSearchParams(location.search);
}

/** `pattern` ("/orgs/:orgId/projects/:projectId") against a path: the named parts, or null. */
export function match(pattern: string, path: string): RouteParams | null {
  const want = pattern.split("/").filter(Boolean);
  const have = path.split("/").filter(Boolean);
  if (want.length !== have.length) return null;
  const params: RouteParams = {};
  for (let index = 0; index < want.length; index += 1) {
    if (want[index].startsWith(":")) params[want[index].slice(1)] = decodeURIComponent(have[index]);
    else if (want[index] !== have[index]) return null;
  }
  return params;
}

/** A dashboard path with its parameters filled in: fill("/orgs/:orgId", {orgId: "org_1"}). */
export function fill(pattern: string, params: RouteParams): string {
  return pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ""));
}

type AnchorProps = Omit<JSX.HTMLAttributes<HTMLAnchorElement>, "href">;

/** An <a> to a dashboard path that navigates without reloading (a modified click opens a new tab). */
export function Link({ to, children, ...rest }: AnchorProps & { to: string; children: ComponentChildren }) {
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={BASE + to} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
