// The dashboard's home: the caller's organizations (with their role in each) and creating one (the
// creator becomes its first Admin).
import { useState } from "preact/hooks";
import type { PageProps } from "../../routes";
import { ErrorText } from "../../shell/errors";
import { useAction } from "../../shell/hooks";
import { PageHeader, when } from "../../shell/page";
import { PagedList } from "../../shell/paged_list";
import { roleLabel } from "../../shell/roles";
import { Link, navigate } from "../../shell/router";
import { announceScopeChange } from "../../shell/scope";
import { useApi, useSession } from "../../shell/session";
import type { Organization } from "../../shell/types";

export function OrganizationsPage(_: PageProps) {
  const api = useApi();
  const { user } = useSession();
  return (
    <>
      <PageHeader
        title="Organizations"
        intro={`Signed in as ${user.name} (${user.email}). Pick an organization, or create one: you become its first Admin.`}
      />
      <section class="card">
        <PagedList<Organization>
          testId="organizations"
          load={(index, size) => api.page<Organization>("/manage/organizations", index, size)}
          rowKey={(organization) => organization.id}
          empty={<p>You belong to no organization yet: create one below.</p>}
          columns={[
            { label: "Name", cell: (o) => <Link to={`/orgs/${o.id}`} data-testid="organization-link">{o.name}</Link> },
            { label: "Your role", cell: (o) => roleLabel(o.role) },
            { label: "Created", cell: (o) => when(o.createdAt) },
          ]}
        />
      </section>
      <CreateOrganization />
    </>
  );
}

function CreateOrganization() {
  const api = useApi();
  const [name, setName] = useState("");
  const create = useAction(async () => {
    const organization = await api.manage<Organization>("/manage/organizations", { method: "POST", body: { name: name.trim() } });
    announceScopeChange();
    navigate(`/orgs/${organization.id}`);
  });
  return (
    <section class="card" aria-labelledby="create-organization-title">
      <h2 id="create-organization-title">Create an organization</h2>
      <form onSubmit={(e) => { e.preventDefault(); void create.run(); }} data-testid="create-organization">
        <label for="organization-name">Name</label>
        <input id="organization-name" type="text" maxLength={100} required value={name}
               onInput={(e) => setName(e.currentTarget.value)} data-testid="organization-name" />
        <button type="submit" disabled={create.pending} data-testid="create-organization-submit">Create organization</button>
        <ErrorText error={create.error} testId="create-organization-error" />
      </form>
    </section>
  );
}
