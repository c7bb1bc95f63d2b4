// Creating a project, and a project's settings (rename, describe, delete): Admins only. A Member who
// opens these URLs is refused by the shell with the API's words (routes.ts: memberRefused).
import { useState } from "preact/hooks";
import type { PageProps } from "../../routes";
import { ErrorText } from "../../shell/errors";
import { useAction } from "../../shell/hooks";
import { PageHeader } from "../../shell/page";
import { navigate } from "../../shell/router";
import { announceScopeChange, useScope } from "../../shell/scope";
import { useApi } from "../../shell/session";
import type { Project } from "../../shell/types";

function ProjectFields(props: {
  name: string;
  description: string;
  onName: (value: string) => void;
  onDescription: (value: string) => void;
}) {
  return (
    <>
      <label for="project-name">Name</label>
      <input id="project-name" type="text" required maxLength={100} value={props.name} placeholder="Production"
             onInput={(e) => props.onName(e.currentTarget.value)} data-testid="project-name" />
      <label for="project-description">Description <span class="muted">(optional)</span></label>
      <textarea id="project-description" rows={3} maxLength={1000} value={props.description}
                onInput={(e) => props.onDescription(e.currentTarget.value)} data-testid="project-description" />
    </>
  );
}

export function NewProjectPage({ params }: PageProps) {
  const api = useApi();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useAction(async () => {
    const project = await api.manage<Project>(`/manage/organizations/${encodeURIComponent(params.orgId)}/projects`, {
      method: "POST",
      body: { name: name.trim(), description },
    });
    announceScopeChange();
    navigate(`/orgs/${params.orgId}/projects/${project.id}`);
  });
  return (
    <>
      <PageHeader title="New project" intro="For example Production, Staging and Development: each has its own keys and resources." />
      <section class="card">
        <form onSubmit={(e) => { e.preventDefault(); void create.run(); }} data-testid="create-project">
          <ProjectFields name={name} description={description} onName={setName} onDescription={setDescription} />
          <div class="row">
            <button type="submit" disabled={create.pending} data-testid="create-project-submit">Create project</button>
            <button type="button" class="secondary" onClick={() => navigate(`/orgs/${params.orgId}`)}>Cancel</button>
          </div>
          <ErrorText error={create.error} testId="create-project-error" />
        </form>
      </section>
    </>
  );
}

export function EditProjectPage({ params }: PageProps) {
  const api = useApi();
  const project = useScope().project!;
  const [name, setName] = useState(project.name);
  const [description, setDescription] = useState(project.description);
  const [saved, setSaved] = useState(false);
  const path = `/manage/projects/${encodeURIComponent(project.id)}`;
  const save = useAction(async () => {
    setSaved(false);
    await api.manage<Project>(path, { method: "PATCH", body: { name: name.trim(), description } });
    setSaved(true);
    announceScopeChange();
  });
  const [confirming, setConfirming] = useState("");
  const remove = useAction(async () => {
    await api.manage<void>(path, { method: "DELETE" });
    announceScopeChange();
    navigate(`/orgs/${params.orgId}`);
  });
  return (
    <>
      <PageHeader title={`Project settings: ${project.name}`} />
      <section class="card">
        <form onSubmit={(e) => { e.preventDefault(); void save.run(); }} data-testid="edit-project-form">
          <ProjectFields name={name} description={description} onName={setName} onDescription={setDescription} />
          <button type="submit" disabled={save.pending} data-testid="save-project">Save</button>
          {saved && <p class="ok" data-testid="project-saved">Saved.</p>}
          <ErrorText error={save.error} testId="save-project-error" />
        </form>
      </section>
      <section class="card danger-zone" aria-labelledby="delete-project-title">
        <h2 id="delete-project-title">Delete this project</h2>
        <p class="hint">Its API keys are revoked at once: anything using them stops working.</p>
        <label for="delete-project-confirm">Type the project's name, <strong>{project.name}</strong>, to confirm</label>
        <input id="delete-project-confirm" type="text" value={confirming}
               onInput={(e) => setConfirming(e.currentTarget.value)} data-testid="delete-project-confirm" />
        <button type="button" class="danger" disabled={confirming !== project.name || remove.pending}
                onClick={() => void remove.run()} data-testid="delete-project">
          Delete project
        </button>
        <ErrorText error={remove.error} testId="delete-project-error" />
      </section>
    </>
  );
}
