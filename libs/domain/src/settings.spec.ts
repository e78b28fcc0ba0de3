import { DEFAULT_ADHERENCE_SETTINGS } from './adherence';
import { DEFAULT_RULE_SETTINGS } from './rules';
import { adherenceSettingsOf, ruleOverridesOf } from './settings';

describe('organization settings', () => {
  it('reads numeric overrides of known thresholds only', () => {
    expect(
      ruleOverridesOf({
        rules: { flareDelta: 3, activeDayStepPercent: 60, walkingIncreasePercent: '5', other: 1 },
      }),
    ).toEqual({ flareDelta: 3, activeDayStepPercent: 60 });
    expect(ruleOverridesOf({})).toEqual({});
  });

  it('applies the adherence overrides, and none of the alert rules, to the adherence defaults', () => {
    expect(
      adherenceSettingsOf({ rules: { activeDayStepPercent: 60, legPainWorseDelta: 4 } }),
    ).toEqual({ ...DEFAULT_ADHERENCE_SETTINGS, activeDayStepPercent: 60 });
    expect(adherenceSettingsOf({ rules: { walkingIncreasePercent: 5 } })).toEqual({
      ...DEFAULT_ADHERENCE_SETTINGS,
      walkingIncreasePercent: 5,
    });
    expect(adherenceSettingsOf({})).toEqual(DEFAULT_ADHERENCE_SETTINGS);
    expect(DEFAULT_RULE_SETTINGS).not.toHaveProperty('activeDayStepPercent');
  });
});
