// "Open in Playground": the Playground page with this organization, project and agent chosen
// (web/playground reads ?org=&project=&agent=), in this tab, where the sign-in is already held.
export function playgroundUrl(orgId: string, projectId: string, agentId: string): string {
  const query = new URLSearchParams({ org: orgId, project: projectId, agent: agentId });
  return `/playground?${query.toString()}`;
}

export function OpenInPlayground({ orgId, projectId, agentId, primary }: { orgId: string; projectId: string; agentId: string; primary?: boolean }) {
  return (
    <a href={playgroundUrl(orgId, projectId, agentId)} class={primary ? "button" : "link"} data-testid="open-in-playground">
      Open in Playground
    </a>
  );
}
