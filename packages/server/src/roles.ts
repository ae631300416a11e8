// The roles a server process can run. Its own entry point (`@odin/server/roles`) with no imports, so the command
// line can list and check them without loading the server.

export const SERVICE_ROLES = ['frontend', 'history', 'matching', 'worker'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

export function isServiceRole(value: string): value is ServiceRole {
  return (SERVICE_ROLES as readonly string[]).includes(value);
}
