// An organization's members (Admins only: the API refuses Members, and the page shows its words):
// invite by email as Admin or Member, change a role, remove a member or a pending invitation.
// Members are their stable user id once they have signed in; the email is shown, never used to find them.
import { useState } from "preact/hooks";
import type { PageProps } from "../../routes";
import { ErrorText } from "../../shell/errors";
import { useAction } from "../../shell/hooks";
import { PageHeader, when } from "../../shell/page";
import { PagedList } from "../../shell/paged_list";
import { roleLabel, type Role } from "../../shell/roles";
import { useScope } from "../../shell/scope";
import { useApi } from "../../shell/session";

interface Member {
  userId: string;
  email: string | null;
  status: "active" | "invited";
  role: Role;
  addedAt: string;
}

export function MembersPage({ params }: PageProps) {
  const api = useApi();
  const scope = useScope();
  const [changes, setChanges] = useState(0);
  const changed = () => setChanges((n) => n + 1);
  const base = `/manage/organizations/${encodeURIComponent(params.orgId)}/members`;
  return (
    <>
      <PageHeader
        title={`Members of ${scope.organization?.name ?? ""}`}
        intro="Admins manage members, projects, API keys, settings and billing; Members browse companions, use the Playground and view projects."
      />
      {scope.can("manageMembers") && <InviteMember path={base} onInvited={changed} />}
      <section class="card">
        <PagedList<Member>
          testId="members"
          reloadKey={changes}
          load={(index, size) => api.page<Member>(base, index, size)}
          rowKey={(member) => member.userId}
          empty={<p>No members.</p>}
          columns={[
            { label: "Email", cell: (m) => <span data-testid="member-email">{m.email ?? <span class="muted">(no email)</span>}</span> },
            {
              label: "Status",
              cell: (m) =>
                m.status === "invited" ? (
                  <span class="badge warn" title="Becomes a member when they first sign in with this email">invited</span>
                ) : (
                  <span class="badge info">active</span>
                ),
            },
            { label: "Role", cell: (m) => <MemberRole path={base} member={m} onChanged={changed} /> },
            { label: "Added", cell: (m) => when(m.addedAt) },
            { label: "", cell: (m) => <RemoveMember path={base} member={m} onRemoved={changed} /> },
          ]}
        />
      </section>
    </>
  );
}

function InviteMember({ path, onInvited }: { path: string; onInvited: () => void }) {
  const api = useApi();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [invited, setInvited] = useState<string | null>(null);
  const invite = useAction(async () => {
    setInvited(null);
    const member = await api.manage<Member>(path, { method: "POST", body: { email: email.trim(), role } });
    setInvited(`${member.email ?? email} is invited as ${roleLabel(member.role)}: they join when they first sign in with this email.`);
    setEmail("");
    onInvited();
  });
  return (
    <section class="card" aria-labelledby="invite-title">
      <h2 id="invite-title">Invite a member</h2>
      <form onSubmit={(e) => { e.preventDefault(); void invite.run(); }} data-testid="invite-member">
        <div class="inline-fields">
          <div>
            <label for="invite-email">Email</label>
            <input id="invite-email" type="email" required maxLength={254} value={email}
                   onInput={(e) => setEmail(e.currentTarget.value)} data-testid="invite-email" />
          </div>
          <div>
            <label for="invite-role">Role</label>
            <select id="invite-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)} data-testid="invite-role">
              <option value="member">Member</option>
              <option value="admin">Admin</option>
            </select>
          </div>
          <button type="submit" disabled={invite.pending} data-testid="invite-submit">Invite</button>
        </div>
        <ErrorText error={invite.error} testId="invite-error" />
        {invited && <p class="ok" data-testid="invite-done">{invited}</p>}
      </form>
    </section>
  );
}

function MemberRole({ path, member, onChanged }: { path: string; member: Member; onChanged: () => void }) {
  const api = useApi();
  const [role, setRole] = useState<Role>(member.role);
  const change = useAction(async (next: Role) => {
    await api.manage<Member>(`${path}/${encodeURIComponent(member.userId)}`, { method: "PATCH", body: { role: next } });
    onChanged();
  });
  const pick = async (next: Role) => {
    setRole(next);
    if (!(await change.run(next))) setRole(member.role); // refused: show the role it still has
  };
  return (
    <div>
      <label class="visually-hidden" for={`role-${member.userId}`}>Role of {member.email ?? member.userId}</label>
      <select id={`role-${member.userId}`} value={role} disabled={change.pending}
              onChange={(e) => void pick(e.currentTarget.value as Role)} data-testid="member-role">
        <option value="member">Member</option>
        <option value="admin">Admin</option>
      </select>
      <ErrorText error={change.error} testId="member-role-error" />
    </div>
  );
}

function RemoveMember({ path, member, onRemoved }: { path: string; member: Member; onRemoved: () => void }) {
  const api = useApi();
  const [confirming, setConfirming] = useState(false);
  const remove = useAction(async () => {
    await api.manage<void>(`${path}/${encodeURIComponent(member.userId)}`, { method: "DELETE" });
    onRemoved();
  });
  const what = member.status === "invited" ? "Cancel invitation" : "Remove";
  return (
    <div>
      {confirming ? (
        <span class="row">
          <button type="button" class="danger" disabled={remove.pending} onClick={() => void remove.run()} data-testid="member-remove-confirm">
            {what}: sure?
          </button>
          <button type="button" class="link" onClick={() => { setConfirming(false); remove.clear(); }}>Keep</button>
        </span>
      ) : (
        <button type="button" class="danger" onClick={() => setConfirming(true)} data-testid="member-remove">{what}</button>
      )}
      <ErrorText error={remove.error} testId="member-remove-error" />
    </div>
  );
}
