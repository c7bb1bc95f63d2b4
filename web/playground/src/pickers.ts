// Organization -> project -> project key -> agent. Admins pick a key (listed masked); Members cannot
// list keys, so their calls name none and the project's default key (its oldest active one) is used.
// Each list's failure is shown in words under its own picker.

import { call, listAll, messageOf, type ProjectScope } from "../../common/api";
import { byId, replaceOptions, showError } from "./dom";
import type { AgentDefaults } from "./settings_form";

interface Organization {
  id: string;
  name: string;
  role: "admin" | "member";
}
interface Project {
  id: string;
  name: string;
}
interface ApiKey {
  id: string;
  name: string;
  keyHint: string;
  provider: { type?: string };
}
export interface Agent extends AgentDefaults {
  id: string;
  name?: string | null;
  companionId: string;
}

export interface Choice {
  organization: Organization;
  scope: ProjectScope;
  agent: Agent;
}

/** What the page's URL asks to have chosen: the dashboard's "Open in Playground" links to
 * /playground?project=<projectId>&agent=<agentId> (org= may name the organization too). Used once. */
interface Wanted {
  organization: string | null;
  project: string | null;
  agent: string | null;
}

function wantedFromUrl(): Wanted {
  const query = new URLSearchParams(location.search);
  return { organization: query.get("org"), project: query.get("project"), agent: query.get("agent") };
}

export class Pickers {
  private readonly wanted: Wanted = wantedFromUrl();
  private readonly organizationSelect = byId<HTMLSelectElement>("organization");
  private readonly projectSelect = byId<HTMLSelectElement>("project");
  private readonly keySelect = byId<HTMLSelectElement>("api-key");
  private readonly agentSelect = byId<HTMLSelectElement>("agent");
  private organizations: Organization[] = [];
  private agents: Agent[] = [];

  constructor(
    private readonly token: () => Promise<string>,
    private readonly changed: (choice: Choice | null) => void,
  ) {
    this.organizationSelect.addEventListener("change", () => void this.loadProjects());
    this.projectSelect.addEventListener("change", () => void this.loadKeysAndAgents());
    this.keySelect.addEventListener("change", () => void this.loadAgents());
    this.agentSelect.addEventListener("change", () => this.changed(this.choice()));
  }

  async start(): Promise<void> {
    const slot = byId("organization-error");
    this.reset(this.organizationSelect, this.projectSelect, this.keySelect, this.agentSelect);
    try {
      this.organizations = await listAll<Organization>("/manage/organizations", { token: await this.token() });
    } catch (failure) {
      showError(slot, `Your organizations could not be listed: ${messageOf(failure)}`);
      return;
    }
    if (!this.organizations.length) {
      showError(slot, "You are not a member of any organization yet: ask an Admin to invite you, or create one in the dashboard.");
      return;
    }
    showError(slot, null);
    replaceOptions(
      this.organizationSelect,
      this.organizations.map((org) => ({ value: org.id, label: `${org.name} (${org.role === "admin" ? "Admin" : "Member"})` })),
      "Choose an organization",
    );
    const wanted = await this.wantedOrganization();
    if (wanted || this.organizations.length === 1) {
      this.organizationSelect.value = wanted ?? this.organizations[0].id;
      await this.loadProjects();
    }
  }

  /** The organization of the project the URL names (looked up when the URL does not say). */
  private async wantedOrganization(): Promise<string | null> {
    const known = (id: string | null | undefined) => (id && this.organizations.some((org) => org.id === id) ? id : null);
    if (known(this.wanted.organization)) return this.wanted.organization;
    if (!this.wanted.project) return null;
    try {
      const project = await call<{ organizationId: string }>(`/manage/projects/${encodeURIComponent(this.wanted.project)}`, { token: await this.token() });
      return known(project.organizationId);
    } catch {
      return null; // not theirs, or gone: the pickers start unchosen
    }
  }

  choice(): Choice | null {
    const organization = this.organizations.find((org) => org.id === this.organizationSelect.value);
    const agent = this.agents.find((candidate) => candidate.id === this.agentSelect.value);
    if (!organization || !agent || !this.projectSelect.value) return null;
    return { organization, agent, scope: this.scope() };
  }

  private scope(): ProjectScope {
    return { projectId: this.projectSelect.value, apiKeyId: this.keySelect.value || undefined };
  }

  private organization(): Organization | undefined {
    return this.organizations.find((org) => org.id === this.organizationSelect.value);
  }

  private async loadProjects(): Promise<void> {
    const slot = byId("project-error");
    this.reset(this.projectSelect, this.keySelect, this.agentSelect);
    const organization = this.organization();
    if (!organization) return;
    try {
      const projects = await listAll<Project>(`/manage/organizations/${encodeURIComponent(organization.id)}/projects`, {
        token: await this.token(),
      });
      if (!projects.length) {
        showError(slot, `${organization.name} has no projects yet.`);
        return;
      }
      showError(slot, null);
      replaceOptions(this.projectSelect, projects.map((project) => ({ value: project.id, label: project.name })), "Choose a project");
      const wanted = projects.find((project) => project.id === this.wanted.project)?.id;
      this.wanted.project = null;
      if (wanted || projects.length === 1) {
        this.projectSelect.value = wanted ?? projects[0].id;
        await this.loadKeysAndAgents();
      }
    } catch (failure) {
      showError(slot, `The projects could not be listed: ${messageOf(failure)}`);
    }
  }

  private async loadKeysAndAgents(): Promise<void> {
    this.reset(this.keySelect, this.agentSelect);
    const isAdmin = this.organization()?.role === "admin";
    byId("key-field").hidden = !isAdmin;
    byId("member-key-note").hidden = isAdmin;
    if (!this.projectSelect.value) return;
    if (isAdmin) await this.loadKeys();
    await this.loadAgents();
  }

  private async loadKeys(): Promise<void> {
    const slot = byId("api-key-error");
    try {
      const keys = await listAll<ApiKey>(`/manage/projects/${encodeURIComponent(this.projectSelect.value)}/api-keys`, {
        token: await this.token(),
      });
      showError(slot, keys.length ? null : "This project has no API key: create one (it provides the model) before connecting.");
      replaceOptions(
        this.keySelect,
        keys.map((key) => ({ value: key.id, label: `${key.name} ••••${key.keyHint} (${key.provider.type ?? "provider"})` })),
        "Default: the project's oldest active key",
      );
    } catch (failure) {
      showError(slot, `The project's keys could not be listed: ${messageOf(failure)}`);
    }
  }

  private async loadAgents(): Promise<void> {
    const slot = byId("agent-error");
    this.reset(this.agentSelect);
    if (!this.projectSelect.value) return;
    try {
      this.agents = await listAll<Agent>("/public/agents", { token: await this.token(), project: this.scope() });
      if (!this.agents.length) {
        showError(slot, "This project has no agents yet: create one in the dashboard or with POST /public/agents.");
        return;
      }
      showError(slot, null);
      replaceOptions(this.agentSelect, this.agents.map((agent) => ({ value: agent.id, label: agent.name || agent.id })), "Choose an agent");
      const wanted = this.agents.find((agent) => agent.id === this.wanted.agent)?.id;
      if (wanted) this.wanted.agent = null;
      if (wanted || this.agents.length === 1) this.agentSelect.value = wanted ?? this.agents[0].id;
      this.changed(this.choice());
    } catch (failure) {
      showError(slot, `The agents could not be listed: ${messageOf(failure)}`);
    }
  }

  private reset(...selects: HTMLSelectElement[]): void {
    for (const select of selects) {
      if (select === this.agentSelect) this.agents = [];
      replaceOptions(select, [], "—");
      showError(byId(`${select.id}-error`), null);
    }
    this.changed(null);
  }
}
