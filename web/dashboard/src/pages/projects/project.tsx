// A project's overview: what it is, and where to go next (the navigation lists its areas).
import type { PageProps } from "../../routes";
import { PageHeader, when } from "../../shell/page";
import { Link } from "../../shell/router";
import { useScope } from "../../shell/scope";

export function ProjectPage({ params }: PageProps) {
  const scope = useScope();
  const project = scope.project!;
  const admin = scope.can("manageProjects");
  return (
    <>
      <PageHeader
        title={project.name}
        intro={project.description || undefined}
        actions={admin && <Link to={`/orgs/${params.orgId}/projects/${project.id}/edit`} class="button secondary" data-testid="edit-project">Project settings</Link>}
      />
      <section class="card">
        <dl class="facts" data-testid="project-facts">
          <dt>Project id</dt>
          <dd><code data-testid="project-id">{project.id}</code></dd>
          <dt>Organization</dt>
          <dd>{scope.organization?.name}</dd>
          <dt>Created</dt>
          <dd>{when(project.createdAt)}</dd>
          <dt>Last changed</dt>
          <dd>{when(project.updatedAt)}</dd>
        </dl>
        <p class="hint">
          {admin
            ? "Create an API key for the project's model provider, then its companions, knowledge, tools and agents."
            : "You can browse this project's companions and agents and try them in the Playground."}
        </p>
      </section>
    </>
  );
}
