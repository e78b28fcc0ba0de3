import { DEFAULT_RULE_SETTINGS, RuleSettings } from '@app/domain';
import { Db, Organization } from '@app/persistence';
import { Injectable } from '@nestjs/common';

export const RULE_SETTING_KEYS = Object.keys(DEFAULT_RULE_SETTINGS) as (keyof RuleSettings)[];

/** The numeric rule overrides stored in an organization's settings; anything else is ignored. */
export function ruleOverridesOf(settings: Record<string, unknown>): Partial<RuleSettings> {
  const stored = (settings.rules ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    RULE_SETTING_KEYS.filter((k) => typeof stored[k] === 'number').map((k) => [k, stored[k]]),
  );
}

@Injectable()
export class RuleSettingsService {
  constructor(private readonly db: Db) {}

  /** The rule thresholds in force for an organization: defaults with its overrides. */
  async forOrganization(organizationId: string): Promise<RuleSettings> {
    const org = await this.db.repo(Organization).findOneByOrFail({ id: organizationId });
    return { ...DEFAULT_RULE_SETTINGS, ...ruleOverridesOf(org.settings) };
  }
}
