// The dashboard: sign in (shell/sign_in_page.tsx), then the page the path names (routes.ts), inside its
// organization/project scope and the layout. Mounted on #app of index.html.
import { render } from "preact";
import { useEffect } from "preact/hooks";
import { ROUTES, type DashboardRoute } from "./routes";
import { Refused } from "./shell/errors";
import { Layout } from "./shell/layout";
import { Link, match, usePath, type RouteParams } from "./shell/router";
import { ScopeProvider, useScope } from "./shell/scope";
import { SignInGate } from "./shell/sign_in_page";
import "../../common/theme.css";
import "./style.css";

function Router() {
  const path = usePath();
  for (const route of ROUTES) {
    const params = match(route.path, path);
    if (params) return <RoutePage key={`${route.path}|${path}`} route={route} params={params} />;
  }
  return (
    <ScopeProvider params={{}}>
      <Layout params={{}}>
        <section class="card" data-testid="not-found">
          <h1>Page not found</h1>
          <p>
            The dashboard has no page at <code>{path}</code>. <Link to="/">Go to your organizations</Link>.
          </p>
        </section>
      </Layout>
    </ScopeProvider>
  );
}

function RoutePage({ route, params }: { route: DashboardRoute; params: RouteParams }) {
  useEffect(() => {
    document.title = `${route.title} · Omniagent Dashboard`;
  }, [route.title]);
  return (
    <ScopeProvider params={params}>
      <Layout params={params}>
        <Guarded route={route} params={params} />
      </Layout>
    </ScopeProvider>
  );
}

/** The page, unless the caller's role may not use it and its API would not say so itself. */
function Guarded({ route, params }: { route: DashboardRoute; params: RouteParams }) {
  const scope = useScope();
  if (route.memberRefused && !scope.can(route.memberRefused)) return <Refused words={scope.refusal(route.memberRefused)} />;
  const Page = route.page;
  return <Page params={params} />;
}

function App() {
  return (
    <SignInGate>
      <Router />
    </SignInGate>
  );
}

render(<App />, document.getElementById("app")!);
