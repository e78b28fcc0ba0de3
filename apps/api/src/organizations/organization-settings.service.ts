import {
  ADHERENCE_SETTING_KEYS,
  DEFAULT_CONFIGURABLE_SETTINGS,
  ruleOverridesOf,
  rtmDataDayOf,
} from '@app/domain';
import { Db, OrganizationsRepository } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { validationProblem } from '../common/problem';
import type {
  OrganizationSettingsDto,
  RetentionSettingsDto,
  RtmSettingsDto,
  RuleSettingsOverridesDto,
} from './organization-settings.dto';

@Injectable()
export class OrganizationSettingsService {
  constructor(
    private readonly db: Db,
    private readonly organizations: OrganizationsRepository,
  ) {}

  async get(caller: Caller): Promise<OrganizationSettingsDto> {
    const settings = await this.organizations.settingsOf(caller.organizationId);
    const overrides = ruleOverridesOf(settings);
    return {
      overrides,
      rules: { ...DEFAULT_CONFIGURABLE_SETTINGS, ...overrides },
      rtm: { dataDay: rtmDataDayOf(settings) },
      retention: {
        rawSampleDays: await this.organizations.sampleRetentionOf(caller.organizationId),
      },
    };
  }

  async updateRules(
    caller: Caller,
    overrides: RuleSettingsOverridesDto,
    rtm?: RtmSettingsDto,
    retention?: RetentionSettingsDto,
  ): Promise<OrganizationSettingsDto> {
    const clean = ruleOverridesOf({ rules: { ...overrides } });
    const effective = { ...DEFAULT_CONFIGURABLE_SETTINGS, ...clean };
    if (effective.flareNextDayMaxHours < effective.flareNextDayMinHours) {
      throw validationProblem([
        { field: 'rules.flareNextDayMaxHours', message: 'must not be below flareNextDayMinHours' },
      ]);
    }
    const dataDay = await this.db.transaction(async (tx) => {
      const before = await this.organizations.lockSettings(tx, caller.organizationId);
      await this.organizations.replaceRuleSettings(tx, caller.organizationId, clean);
      const kind = rtm?.dataDay ?? rtmDataDayOf(before);
      if (rtm)
        await this.organizations.replaceRtmSettings(tx, caller.organizationId, { dataDay: kind });
      if (retention)
        await this.organizations.setSampleRetention(
          tx,
          caller.organizationId,
          retention.rawSampleDays ?? null,
        );
      // A changed adherence threshold changes every patient's flags and recent weeks: the
      // worker recomputes them all within a minute (older weeks keep the figures of their time).
      const was = { ...DEFAULT_CONFIGURABLE_SETTINGS, ...ruleOverridesOf(before) };
      // What makes a data day changes every monitored patient's worklist entry too.
      if (
        ADHERENCE_SETTING_KEYS.some((k) => was[k] !== effective[k]) ||
        kind !== rtmDataDayOf(before)
      ) {
        await this.organizations.markAllForAdherence(tx, caller.organizationId);
      }
      return kind;
    });
    return {
      overrides: clean,
      rules: effective,
      rtm: { dataDay },
      retention: {
        rawSampleDays: await this.organizations.sampleRetentionOf(caller.organizationId),
      },
    };
  }
}
