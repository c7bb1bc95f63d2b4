// The frame around every page: the top bar (the organization and project switcher, who is signed in,
// sign-out) and the side navigation built from the routes table, filtered by the caller's role.
import type { ComponentChildren } from "preact";
import type { DashboardRoute, NavSection } from "../routes";
import { ROUTES } from "../routes";
import { Link, currentPath, fill, type RouteParams } from "./router";
import { useScope } from "./scope";
import { useSession } from "./session";
import { Switcher } from "./switcher";
import { roleLabel } from "./roles";

export function Layout({ params, children }: { params: RouteParams; children: ComponentChildren }) {
  const { user, signOut } = useSession();
  const scope = useScope();
  return (
    <div class="app">
      <header class="topbar">
        <Link to="/" class="brand">
          Omniagent <span class="muted">Dashboard</span>
        </Link>
        <Switcher params={params} />
        <div class="who" data-testid="who">
          {user.mode === "local" && <span class="badge warn" title="Local sign-in (development only)">local</span>}
          <span class="who-name" data-testid="who-name">{user.name}</span>
          <span class="muted who-email" data-testid="who-email">{user.email}</span>
          <a href="/playground" class="link">Playground</a>
          <button type="button" class="link" onClick={signOut} data-testid="sign-out">
            Sign out
          </button>
        </div>
      </header>
      <div class="body">
        {scope.organization && (
          <nav class="side" aria-label="Dashboard" data-testid="side-nav">
            <NavGroup section="organization" title={scope.organization.name} params={params} />
            {scope.role && (
              <p class="muted role-note" data-testid="role">
                Your role: {roleLabel(scope.role)}
              </p>
            )}
            {scope.project && <NavGroup section="project" title={scope.project.name} params={params} />}
          </nav>
        )}
        <main class="content">{children}</main>
      </div>
    </div>
  );
}

function NavGroup({ section, title, params }: { section: NavSection; title: string; params: RouteParams }) {
  const scope = useScope();
  const here = currentPath();
  const entries = ROUTES.filter((route): route is DashboardRoute & { nav: NonNullable<DashboardRoute["nav"]> } =>
    route.nav?.section === section && !(route.nav.adminOnly && scope.role !== "admin"),
  ).sort((a, b) => a.nav.order - b.nav.order);
  return (
    <div class="nav-group">
      <h2 class="nav-title">{title}</h2>
      <ul>
        {entries.map((route) => {
          const to = fill(route.path, params);
          return (
            <li key={route.path}>
              <Link to={to} class={to === here ? "active" : undefined} aria-current={to === here ? "page" : undefined}
                    data-testid={`nav-${route.nav.label.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`}>
                {route.nav.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
