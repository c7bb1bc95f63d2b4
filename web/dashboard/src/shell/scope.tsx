// Where a page is: its organization (with the caller's role there) and, on project pages, the project.
// Read from the route's :orgId and :projectId; every page under them gets it from useScope().
import { createContext, type ComponentChildren } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import { ErrorBanner } from "./errors";
import { useLoad } from "./hooks";
import { can, refusal, type AdminAction, type Role } from "./roles";
import type { RouteParams } from "./router";
import { useApi } from "./session";
import type { Organization, Project } from "./types";

export interface Scope {
  organization: Organization | null;
  project: Project | null;
  role: Role | null;
  /** Whether the caller's role allows an Admin-only action here. */
  can(action: AdminAction): boolean;
  /** The API's words refusing `action` to the caller's role. */
  refusal(action: AdminAction): string;
}

const NO_SCOPE: Scope = { organization: null, project: null, role: null, can: () => false, refusal: () => "" };
const ScopeContext = createContext<Scope>(NO_SCOPE);
const SCOPE_CHANGED = "dashboard:scope-changed";

/** Tell the switcher (and any page listening) that organizations or projects changed. */
export function announceScopeChange(): void {
  dispatchEvent(new Event(SCOPE_CHANGED));
}

/** A number that grows with every announceScopeChange(): a dependency to reload lists on. */
export function useScopeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((n) => n + 1);
    addEventListener(SCOPE_CHANGED, bump);
    return () => removeEventListener(SCOPE_CHANGED, bump);
  }, []);
  return version;
}

export function useScope(): Scope {
  return useContext(ScopeContext);
}

export function ScopeProvider({ params, children }: { params: RouteParams; children: ComponentChildren }) {
  const api = useApi();
  const version = useScopeVersion();
  const { orgId, projectId } = params;
  const loaded = useLoad(async () => {
    const organization = orgId ? await api.manage<Organization>(`/manage/organizations/${encodeURIComponent(orgId)}`) : null;
    const project = projectId ? await api.manage<Project>(`/manage/projects/${encodeURIComponent(projectId)}`) : null;
    if (project && organization && project.organizationId !== organization.id) {
      throw new Error(`Project '${project.id}' belongs to another organization.`);
    }
    return { organization, project };
  }, [orgId, projectId, version]);

  if (loaded.error) return <ErrorBanner error={loaded.error} onRetry={loaded.reload} testId="scope-error" />;
  if (!loaded.data) return <p class="muted">Loading…</p>;
  const { organization, project } = loaded.data;
  const role = organization?.role ?? null;
  const scope: Scope = {
    organization,
    project,
    role,
    can: (action) => can(role, action),
    refusal: (action) => refusal(role ?? "member", action),
  };
  return <ScopeContext.Provider value={scope}>{children}</ScopeContext.Provider>;
}
