// The dashboard's pages: ONE table. Each area adds its own lines here (and its pages under
// pages/<area>/); nothing else is shared between areas. The shell (main.tsx) picks the first route
// whose path matches, loads its :orgId / :projectId scope (shell/scope.tsx: the organization with the
// caller's role, the project) and shows the page inside the layout, whose side navigation lists the
// routes that have a `nav` entry.
//
// Roles (shell/roles.ts): `nav.adminOnly` hides the entry from Members; `memberRefused` makes the
// shell refuse a Member who reaches the page anyway (a typed URL) with the API's words, for pages
// whose API would not refuse them itself. Pages whose API refuses Members (API keys, member lists)
// show that 403 in its own words instead (shell/errors.tsx).
import type { ComponentType } from "preact";
import type { AdminAction } from "./shell/roles";
import type { RouteParams } from "./shell/router";
import { MembersPage } from "./pages/organizations/members";
import { OrganizationsPage } from "./pages/organizations/organizations";
import { SettingsPage } from "./pages/organizations/settings";
import { ApiKeysPage } from "./pages/projects/api_keys";
import { ProjectPage } from "./pages/projects/project";
import { EditProjectPage, NewProjectPage } from "./pages/projects/project_form";
import { ProjectsPage } from "./pages/projects/projects";
import { SessionPage } from "./pages/sessions/session";
import { SessionsPage } from "./pages/sessions/sessions";
import { OrganizationUsagePage, ProjectUsagePage } from "./pages/usage/usage";
import { NewCompanionPage } from "./pages/companions/companion_new";
import { CompanionPage } from "./pages/companions/companion_page";
import { CompanionsPage } from "./pages/companions/companions";
import { CollectionPage } from "./pages/knowledge/collection_page";
import { KnowledgePage } from "./pages/knowledge/knowledge";
import { FaqCollectionPage } from "./pages/tools/faq_collection";
import { FaqsPage } from "./pages/tools/faqs";
import { NewFunctionPage } from "./pages/tools/function_new";
import { FunctionPage } from "./pages/tools/function_page";
import { FunctionsPage } from "./pages/tools/functions";
import { NewAgentPage } from "./pages/agents/agent_new";
import { AgentPage } from "./pages/agents/agent_page";
import { AgentsPage } from "./pages/agents/agents";

export type NavSection = "organization" | "project";

export interface PageProps {
  params: RouteParams;
}

export interface DashboardRoute {
  /** Under /dashboard: "/orgs/:orgId/projects/:projectId/companions". Nav entries use only :orgId and :projectId. */
  path: string;
  /** The browser tab's title. */
  title: string;
  page: ComponentType<PageProps>;
  nav?: { section: NavSection; label: string; order: number; adminOnly?: boolean };
  memberRefused?: AdminAction;
}

const ORG = "/orgs/:orgId";
const PROJECT = "/orgs/:orgId/projects/:projectId";

export const ROUTES: DashboardRoute[] = [
  // shell helper: organizations, members, billing, settings, projects, API keys
  { path: "/", title: "Organizations", page: OrganizationsPage },
  { path: ORG, title: "Projects", page: ProjectsPage, nav: { section: "organization", label: "Projects", order: 10 } },
  { path: `${ORG}/members`, title: "Members", page: MembersPage, nav: { section: "organization", label: "Members", order: 20, adminOnly: true } },
  { path: `${ORG}/settings`, title: "Settings", page: SettingsPage, memberRefused: "manageSettings", nav: { section: "organization", label: "Settings", order: 90, adminOnly: true } },
  { path: `${ORG}/projects/new`, title: "New project", page: NewProjectPage, memberRefused: "manageProjects" },
  { path: PROJECT, title: "Project", page: ProjectPage, nav: { section: "project", label: "Overview", order: 10 } },
  { path: `${PROJECT}/edit`, title: "Project settings", page: EditProjectPage, memberRefused: "manageProjects" },
  { path: `${PROJECT}/api-keys`, title: "API keys", page: ApiKeysPage, nav: { section: "project", label: "API keys", order: 90, adminOnly: true } },
  // companions, knowledge, tools, FAQs, agents: (their helper adds lines here)
  { path: `${PROJECT}/companions`, title: "Companions", page: CompanionsPage, nav: { section: "project", label: "Companions", order: 20 } },
  { path: `${PROJECT}/companions/new`, title: "New companion", page: NewCompanionPage, memberRefused: "manageResources" },
  { path: `${PROJECT}/companions/:companionId`, title: "Companion", page: CompanionPage },
  { path: `${PROJECT}/knowledge`, title: "Knowledge", page: KnowledgePage, nav: { section: "project", label: "Knowledge", order: 30 } },
  { path: `${PROJECT}/knowledge/:knowledgeBaseId`, title: "Knowledge collection", page: CollectionPage },
  { path: `${PROJECT}/tools`, title: "Tools", page: FunctionsPage, nav: { section: "project", label: "Tools", order: 40 } },
  { path: `${PROJECT}/tools/new`, title: "New function", page: NewFunctionPage, memberRefused: "manageResources" },
  { path: `${PROJECT}/tools/:functionId`, title: "Function", page: FunctionPage },
  { path: `${PROJECT}/faqs`, title: "FAQs", page: FaqsPage, nav: { section: "project", label: "FAQs", order: 50 } },
  { path: `${PROJECT}/faqs/:faqCollectionId`, title: "FAQ collection", page: FaqCollectionPage },
  { path: `${PROJECT}/agents`, title: "Agents", page: AgentsPage, nav: { section: "project", label: "Agents", order: 60 } },
  { path: `${PROJECT}/agents/new`, title: "New agent", page: NewAgentPage, memberRefused: "manageResources" },
  { path: `${PROJECT}/agents/:agentId`, title: "Agent", page: AgentPage },
  // sessions, usage (organization usage is billing: Admins only, and its API refuses Members)
  { path: `${PROJECT}/sessions`, title: "Sessions", page: SessionsPage, nav: { section: "project", label: "Sessions", order: 80 } },
  { path: `${PROJECT}/sessions/:sessionId`, title: "Session", page: SessionPage },
  { path: `${PROJECT}/usage`, title: "Usage", page: ProjectUsagePage, nav: { section: "project", label: "Usage", order: 90 } },
  // Billing is the organization's usage at its prices: one page (its API refuses Members in its own words).
  { path: `${ORG}/usage`, title: "Billing", page: OrganizationUsagePage, nav: { section: "organization", label: "Billing", order: 80, adminOnly: true } },
  { path: `${ORG}/billing`, title: "Billing", page: OrganizationUsagePage },
];
