import { DEFAULT_RULE_SETTINGS, RuleSettings } from '@app/domain';
import { Db, Organization } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { validationProblem } from '../common/problem';
import type {
  OrganizationSettingsDto,
  RuleSettingsOverridesDto,
} from './organization-settings.dto';

const RULE_KEYS = Object.keys(DEFAULT_RULE_SETTINGS) as (keyof RuleSettings)[];

function overridesOf(settings: Record<string, unknown>): RuleSettingsOverridesDto {
  const stored = (settings.rules ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    RULE_KEYS.filter((k) => typeof stored[k] === 'number').map((k) => [k, stored[k]]),
  );
}

@Injectable()
export class OrganizationSettingsService {
  constructor(private readonly db: Db) {}

  /** The rule thresholds in force for an organization. */
  async ruleSettings(organizationId: string): Promise<RuleSettings> {
    const org = await this.db.repo(Organization).findOneByOrFail({ id: organizationId });
    return { ...DEFAULT_RULE_SETTINGS, ...overridesOf(org.settings) };
  }

  async get(caller: Caller): Promise<OrganizationSettingsDto> {
    const org = await this.db.repo(Organization).findOneByOrFail({ id: caller.organizationId });
    const overrides = overridesOf(org.settings);
    return { overrides, rules: { ...DEFAULT_RULE_SETTINGS, ...overrides } };
  }

  async updateRules(
    caller: Caller,
    overrides: RuleSettingsOverridesDto,
  ): Promise<OrganizationSettingsDto> {
    const clean = overridesOf({ rules: { ...overrides } });
    const effective = { ...DEFAULT_RULE_SETTINGS, ...clean };
    if (effective.flareNextDayMaxHours < effective.flareNextDayMinHours) {
      throw validationProblem([
        { field: 'rules.flareNextDayMaxHours', message: 'must not be below flareNextDayMinHours' },
      ]);
    }
    await this.db.manager.query(
      `UPDATE organizations SET settings = jsonb_set(settings, '{rules}', $2::jsonb) WHERE id = $1`,
      [caller.organizationId, JSON.stringify(clean)],
    );
    return { overrides: clean, rules: effective };
  }
}
