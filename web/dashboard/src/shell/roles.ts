// The role matrix as the dashboard shows it: the same as the API's (shared/management/roles.py), so
// what a Member cannot do is hidden, and where a Member still reaches it (a typed URL, a bookmark)
// the refusal reads as the API's own 403. The API stays the authority: every call it refuses is shown
// in its words (see errors.tsx).

export type Role = "admin" | "member";

/** What an Admin may do and a Member may not, worded as the API words the action in its 403. */
export const ADMIN_ACTIONS = {
  manageMembers: "manage members",
  manageProjects: "create, edit or delete projects",
  manageApiKeys: "manage API keys",
  manageSettings: "change settings",
  manageResources: "create, change or delete the project's resources",
} as const;

export type AdminAction = keyof typeof ADMIN_ACTIONS;

export function can(role: Role | null | undefined, action: AdminAction): boolean {
  return role === "admin" && action in ADMIN_ACTIONS;
}

/** The API's 403 description for a role that may not do `action` (roles.authorize's words). */
export function refusal(role: Role, action: AdminAction): string {
  return (
    `Your role in this organization (${role}) does not allow you to ${ADMIN_ACTIONS[action]}: ` +
    "that needs the Admin role."
  );
}

export function roleLabel(role: Role): string {
  return role === "admin" ? "Admin" : "Member";
}
