import type { Role, Scope } from '@app/domain';

/** The authenticated holder of an API key, as every service sees it. */
export interface Caller {
  keyId: string;
  organizationId: string;
  role: Role;
  scopes: readonly Scope[];
  clinicianId: string | null;
  clientAppId: string | null;
}

declare module 'http' {
  interface IncomingMessage {
    caller?: Caller;
    /** Authenticated with the platform operator's token (ADMIN_TOKEN), not a key. */
    operator?: boolean;
  }
}
