// The /manage answers the shell works with (api/organizations.py, api/projects.py), as on the wire.
import type { Role } from "./roles";

export interface Organization {
  id: string;
  name: string;
  role: Role; // the caller's role in it
  createdAt: string;
}

export interface Project {
  id: string;
  organizationId: string;
  name: string;
  description: string;
  createdAt: string;
  updatedAt: string | null;
}
