import { ruleOverridesOf } from '@app/clinical';
import { DEFAULT_RULE_SETTINGS } from '@app/domain';
import { Db, Organization } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { validationProblem } from '../common/problem';
import type {
  OrganizationSettingsDto,
  RuleSettingsOverridesDto,
} from './organization-settings.dto';

@Injectable()
export class OrganizationSettingsService {
  constructor(private readonly db: Db) {}

  async get(caller: Caller): Promise<OrganizationSettingsDto> {
    const org = await this.db.repo(Organization).findOneByOrFail({ id: caller.organizationId });
    const overrides = ruleOverridesOf(org.settings);
    return { overrides, rules: { ...DEFAULT_RULE_SETTINGS, ...overrides } };
  }

  async updateRules(
    caller: Caller,
    overrides: RuleSettingsOverridesDto,
  ): Promise<OrganizationSettingsDto> {
    const clean = ruleOverridesOf({ rules: { ...overrides } });
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
