// The organization and project pickers in the top bar: switching keeps the page you are on where it
// exists in the other project ("/orgs/A/projects/P/api-keys" -> the same page of project Q).
import { useApi } from "./session";
import { everything } from "./api";
import { useLoad } from "./hooks";
import { currentPath, navigate, type RouteParams } from "./router";
import { useScopeVersion } from "./scope";
import type { Organization, Project } from "./types";

export function Switcher({ params }: { params: RouteParams }) {
  const api = useApi();
  const version = useScopeVersion();
  const { orgId, projectId } = params;
  const organizations = useLoad(() => everything<Organization>(api, "/manage/organizations"), [version]);
  const projects = useLoad(
    () => (orgId ? everything<Project>(api, `/manage/organizations/${encodeURIComponent(orgId)}/projects`) : Promise.resolve([])),
    [orgId, version],
  );

  const toProject = (next: string) => {
    if (!orgId) return;
    if (!next) return navigate(`/orgs/${orgId}`);
    const rest = projectId ? currentPath().split(`/projects/${projectId}`)[1] ?? "" : "";
    navigate(`/orgs/${orgId}/projects/${next}${rest.split("/").slice(0, 2).join("/")}`);
  };

  return (
    <div class="switcher" data-testid="switcher">
      <label class="visually-hidden" for="switch-organization">Organization</label>
      <select id="switch-organization" data-testid="switch-organization" value={orgId ?? ""}
              onChange={(e) => navigate(e.currentTarget.value ? `/orgs/${e.currentTarget.value}` : "/")}>
        <option value="">All organizations</option>
        {(organizations.data ?? []).map((organization) => (
          <option key={organization.id} value={organization.id}>{organization.name}</option>
        ))}
      </select>
      {orgId && (
        <>
          <label class="visually-hidden" for="switch-project">Project</label>
          <select id="switch-project" data-testid="switch-project" value={projectId ?? ""}
                  onChange={(e) => toProject(e.currentTarget.value)}>
            <option value="">{(projects.data ?? []).length ? "Choose a project…" : "No projects yet"}</option>
            {(projects.data ?? []).map((project) => (
              <option key={project.id} value={project.id}>{project.name}</option>
            ))}
          </select>
        </>
      )}
    </div>
  );
}
