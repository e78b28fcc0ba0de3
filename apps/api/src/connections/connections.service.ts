import { Clock } from '@app/config';
import {
  WebhookSecrets,
  ConnectionsRepository,
  Db,
  type ConnectionView,
  type ErasedGrant,
} from '@app/persistence';
import {
  GrantRevoked,
  newState,
  pkcePair,
  ProviderError,
  ProvidersService,
  stateHash,
  type Provider,
} from '@app/providers';
import { JobQueueService, syncJob } from '@app/queue';
import { Injectable, Logger } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { ProblemException, validationProblem } from '../common/problem';
import { PatientAccessService } from '../patients/patient-access.service';
import type {
  ConnectionDto,
  CreatedConnectionDto,
  OAuthCallbackQueryDto,
  OAuthCallbackResultDto,
} from './connection.dto';

/** How long a patient has to consent at the provider: the state expires then. */
export const STATE_TTL_MS = 10 * 60_000;

function view(c: ConnectionView): ConnectionDto {
  return {
    id: c.id,
    patientId: c.patientId,
    provider: c.provider,
    status: c.status,
    lastSyncAt: c.lastSyncAt?.toISOString() ?? null,
    lastError: c.lastError,
    createdAt: c.createdAt.toISOString(),
    connectedAt: c.connectedAt?.toISOString() ?? null,
    revokedAt: c.revokedAt?.toISOString() ?? null,
  };
}

/**
 * Connections to wearable clouds (docs/providers.md): the OAuth flow (authorization code with
 * PKCE, a single-use state bound to the connection), the tokens sealed at rest, revocation.
 * The pulls are the worker's.
 */
@Injectable()
export class ConnectionsService {
  private readonly logger = new Logger(ConnectionsService.name);

  constructor(
    private readonly db: Db,
    private readonly connections: ConnectionsRepository,
    private readonly access: PatientAccessService,
    private readonly providers: ProvidersService,
    private readonly secrets: WebhookSecrets,
    private readonly jobs: JobQueueService,
    private readonly clock: Clock,
  ) {}

  async create(
    caller: Caller,
    patientId: string,
    provider: Provider,
  ): Promise<CreatedConnectionDto> {
    const patient = await this.access.findVisible(caller, patientId);
    if (!this.providers.available(provider)) {
      throw validationProblem([
        { field: 'provider', message: `${provider} is not configured on this deployment` },
      ]);
    }
    const state = newState();
    const pkce = pkcePair();
    const created = await this.connections.createPending(
      {
        organizationId: patient.organizationId,
        patientId: patient.id,
        provider,
        createdByKeyId: caller.keyId,
      },
      {
        hash: stateHash(state),
        sealedVerifier: this.secrets.seal(pkce.verifier),
        ttlMs: STATE_TTL_MS,
      },
    );
    if (!created) {
      throw new ProblemException(
        409,
        `The patient already has a ${provider} connection: delete it before connecting again`,
      );
    }
    const redirect = this.providers.redirectUri(provider);
    const authorizeUrl =
      provider === 'google-health'
        ? this.providers.google!.authorizeUrl(redirect, state, pkce.challenge)
        : this.providers.withings!.authorizeUrl(redirect, state);
    return { id: created.id, status: 'pending', authorizeUrl };
  }

  async list(caller: Caller, patientId: string): Promise<{ data: ConnectionDto[] }> {
    const patient = await this.access.findVisible(caller, patientId);
    return {
      data: (await this.connections.forPatient(patient.organizationId, patient.id)).map(view),
    };
  }

  /**
   * The provider's redirect after consent: the state is taken once (unknown, used or expired:
   * 400, nothing stored), the code exchanged with the PKCE verifier, the tokens sealed, and the
   * first pull (30 days back) queued.
   */
  async callback(
    provider: Provider,
    query: OAuthCallbackQueryDto,
    audit: { auditPatientId?: string | null; auditOrganizationId?: string | null },
  ): Promise<OAuthCallbackResultDto> {
    if (!this.providers.available(provider)) throw new ProblemException(404, 'No such provider');
    const taken = await this.db.transaction((tx) =>
      this.connections.takeState(tx, stateHash(query.state), provider),
    );
    if (!taken) {
      throw new ProblemException(400, 'The state is unknown, used or expired: connect again');
    }
    const { connection } = taken;
    audit.auditPatientId = connection.patientId;
    audit.auditOrganizationId = connection.organizationId;
    if (query.error || !query.code) {
      await this.connections.markError(connection.id, 'the patient did not give consent');
      throw new ProblemException(400, 'The provider did not grant access: connect again');
    }
    const verifier = this.secrets.open(taken.sealedVerifier);
    const redirect = this.providers.redirectUri(provider);
    let tokens;
    try {
      tokens =
        provider === 'google-health'
          ? await this.providers.google!.exchangeCode(query.code, verifier, redirect)
          : await this.providers.withings!.exchangeCode(query.code, redirect);
    } catch (err) {
      const reason = err instanceof ProviderError ? err.message : 'the code exchange failed';
      await this.connections.markError(connection.id, reason);
      // A code the provider refused (forged, expired, used) is the caller's: 400. A provider
      // that failed or could not be reached: 502.
      if (err instanceof GrantRevoked) {
        throw new ProblemException(400, 'The provider refused the code: connect again');
      }
      throw new ProblemException(502, `The provider did not exchange the code: ${reason}`);
    }
    const connected = await this.connections.markConnected(this.db.current, connection.id, {
      providerUserId: tokens.providerUserId!,
      accessToken: this.secrets.seal(tokens.accessToken),
      refreshToken: this.secrets.seal(tokens.refreshToken),
      expiresAt: tokens.expiresAt,
      scope: tokens.scope,
    });
    if (!connected) {
      // Deleted or replaced while the code was exchanged: the grant just made is not kept.
      await this.revokeAtProvider(provider, tokens.refreshToken, tokens.providerUserId);
      throw new ProblemException(400, 'The connection was deleted meanwhile: connect again');
    }
    await this.queueSync(connection.id, 'connect');
    return { id: connection.id, status: 'connected' };
  }

  /** Revokes at the provider (best effort, after the connection stops), and stops pulling. */
  async remove(caller: Caller, connectionId: string): Promise<void> {
    const found = await this.connections.find(caller.organizationId, connectionId);
    if (!found)
      throw new ProblemException(404, 'No such connection, or it is not visible to this key');
    await this.access.findVisible(caller, found.patientId);
    const revoked = await this.connections.revoke(found.id);
    if (!revoked) return;
    await this.revokeAtProvider(
      revoked.provider,
      revoked.refreshToken ? this.secrets.open(revoked.refreshToken) : null,
      revoked.providerUserId,
    );
  }

  /**
   * Revokes, best effort, the grants of connections that went with their patient (an erasure):
   * the provider stops holding our access to the account.
   */
  async revokeGrants(grants: readonly ErasedGrant[]): Promise<void> {
    for (const grant of grants) {
      let refreshToken: string | null = null;
      try {
        refreshToken = grant.refreshToken ? this.secrets.open(grant.refreshToken) : null;
      } catch {
        // Sealed with another key: Withings is revoked by its user id all the same.
      }
      await this.revokeAtProvider(grant.provider, refreshToken, grant.providerUserId);
    }
  }

  /** Revokes a grant at its provider, best effort: our side keeps no token and pulls nothing. */
  private async revokeAtProvider(
    provider: Provider,
    refreshToken: string | null,
    providerUserId: string | null,
  ): Promise<void> {
    try {
      if (provider === 'google-health' && refreshToken) {
        await this.providers.google?.revoke(refreshToken);
      } else if (provider === 'withings' && providerUserId) {
        await this.providers.withings?.revoke(providerUserId);
      }
    } catch (err) {
      // The provider's grant lapses on its own.
      this.logger.warn(
        { provider, errorClass: err instanceof Error ? err.constructor.name : 'unknown' },
        'could not revoke at the provider',
      );
    }
  }

  /** Queues a pull of a connection (the sweep of the worker queues any that Redis missed). */
  async queueSync(connectionId: string, reason: string): Promise<void> {
    const job = syncJob(connectionId, reason, this.clock.nowMs());
    try {
      await this.jobs.add('provider.sync', job.payload, { jobId: job.jobId, ...job.options });
    } catch {
      this.logger.warn({ connectionId }, 'sync not queued; the scheduler will pull it');
    }
  }
}
