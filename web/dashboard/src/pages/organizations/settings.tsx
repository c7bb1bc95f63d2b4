// An organization's settings (Admins; a Member who opens the URL is refused with the API's words):
// what the organization is, how this deployment signs people in, and where its members and billing are.
import { readWebConfig } from "../../../../common/sign_in";
import type { PageProps } from "../../routes";
import { ErrorText } from "../../shell/errors";
import { useLoad } from "../../shell/hooks";
import { PageHeader, when } from "../../shell/page";
import { roleLabel } from "../../shell/roles";
import { Link } from "../../shell/router";
import { useScope } from "../../shell/scope";

export function SettingsPage({ params }: PageProps) {
  const scope = useScope();
  const organization = scope.organization!;
  const config = useLoad(readWebConfig, []);
  return (
    <>
      <PageHeader title="Settings" intro={`Organization ${organization.name}.`} />
      <section class="card" aria-labelledby="organization-facts-title">
        <h2 id="organization-facts-title">Organization</h2>
        <dl class="facts" data-testid="organization-facts">
          <dt>Name</dt>
          <dd>{organization.name}</dd>
          <dt>Organization id</dt>
          <dd><code data-testid="organization-id">{organization.id}</code></dd>
          <dt>Created</dt>
          <dd>{when(organization.createdAt)}</dd>
          <dt>Your role</dt>
          <dd>{roleLabel(organization.role)}</dd>
        </dl>
        <p class="hint">
          People: <Link to={`/orgs/${params.orgId}/members`}>Members</Link>. Minutes and cost:{" "}
          <Link to={`/orgs/${params.orgId}/billing`}>Billing</Link>.
        </p>
      </section>
      <section class="card" aria-labelledby="sign-in-settings-title">
        <h2 id="sign-in-settings-title">Sign-in</h2>
        <ErrorText error={config.error} />
        {config.data && (
          <p data-testid="sign-in-mode">
            {config.data.signIn === "local"
              ? "This is the local stack: people sign in with the development sign-in (no identity provider)."
              : config.data.entra
                ? `People sign in with Microsoft Entra ID (${config.data.entra.authority}).`
                : "Entra ID sign-in is not configured (OMNI_AUTH_ISSUER and OMNI_AUTH_AUDIENCE): nobody can sign in."}
          </p>
        )}
        <p class="hint">
          Members are invited by email and become members when they first sign in with it; from then on
          they are known by their account's stable id, whatever email it carries later.
        </p>
      </section>
    </>
  );
}
