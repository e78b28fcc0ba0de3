import {
  ADHERENCE_SETTING_KEYS,
  DEFAULT_CONFIGURABLE_SETTINGS,
  ruleOverridesOf,
} from '@app/clinical';
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
    return { overrides, rules: { ...DEFAULT_CONFIGURABLE_SETTINGS, ...overrides } };
  }

  async updateRules(
    caller: Caller,
    overrides: RuleSettingsOverridesDto,
  ): Promise<OrganizationSettingsDto> {
    const clean = ruleOverridesOf({ rules: { ...overrides } });
    const effective = { ...DEFAULT_CONFIGURABLE_SETTINGS, ...clean };
    if (effective.flareNextDayMaxHours < effective.flareNextDayMinHours) {
      throw validationProblem([
        { field: 'rules.flareNextDayMaxHours', message: 'must not be below flareNextDayMinHours' },
      ]);
    }
    await this.db.transaction(async (m) => {
      const [before] = await m.query<{ settings: Record<string, unknown> }[]>(
        `SELECT settings FROM organizations WHERE id = $1 FOR UPDATE`,
        [caller.organizationId],
      );
      await m.query(
        `UPDATE organizations SET settings = jsonb_set(settings, '{rules}', $2::jsonb) WHERE id = $1`,
        [caller.organizationId, JSON.stringify(clean)],
      );
      // A changed adherence threshold changes every patient's flags and recent weeks: the
      // worker recomputes them all within a minute (older weeks keep the figures of their time).
      const was = { ...DEFAULT_CONFIGURABLE_SETTINGS, ...ruleOverridesOf(before.settings) };
      if (ADHERENCE_SETTING_KEYS.some((k) => was[k] !== effective[k])) {
        await m.query(
          `INSERT INTO adherence_dirty (organization_id, patient_id)
           SELECT organization_id, id FROM patients WHERE organization_id = $1`,
          [caller.organizationId],
        );
      }
    });
    return { overrides: clean, rules: effective };
  }
}
