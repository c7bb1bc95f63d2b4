// An organization's projects (Production, Staging, Development…): any member sees them; Admins create
// them here and edit or delete them on the project's settings page (project_form.tsx).
import type { PageProps } from "../../routes";
import { PageHeader, when } from "../../shell/page";
import { PagedList } from "../../shell/paged_list";
import { Link } from "../../shell/router";
import { useScope } from "../../shell/scope";
import { useApi } from "../../shell/session";
import type { Project } from "../../shell/types";

export function ProjectsPage({ params }: PageProps) {
  const api = useApi();
  const scope = useScope();
  const orgId = params.orgId;
  const admin = scope.can("manageProjects");
  return (
    <>
      <PageHeader
        title={`Projects of ${scope.organization?.name ?? ""}`}
        intro="API keys and every companion, knowledge base, tool, FAQ collection, agent and session belong to a project."
        actions={admin && (
          <Link to={`/orgs/${orgId}/projects/new`} class="button" data-testid="new-project">New project</Link>
        )}
      />
      {!admin && (
        <p class="hint" data-testid="member-projects-note">
          As a Member you can open and use projects; creating, editing and deleting them needs the Admin role.
        </p>
      )}
      <section class="card">
        <PagedList<Project>
          testId="projects"
          load={(index, size) => api.page<Project>(`/manage/organizations/${encodeURIComponent(orgId)}/projects`, index, size)}
          rowKey={(project) => project.id}
          empty={admin ? <p>No projects yet: create the first one (for example “Production”).</p> : <p>No projects yet.</p>}
          columns={[
            { label: "Name", cell: (p) => <Link to={`/orgs/${orgId}/projects/${p.id}`} data-testid="project-link">{p.name}</Link> },
            { label: "Description", cell: (p) => p.description || <span class="muted">—</span> },
            { label: "Created", cell: (p) => when(p.createdAt) },
            ...(admin ? [{ label: "", cell: (p: Project) => <Link to={`/orgs/${orgId}/projects/${p.id}/edit`} data-testid="edit-project">Edit</Link> }] : []),
          ]}
        />
      </section>
    </>
  );
}
