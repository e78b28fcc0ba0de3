import { DEFAULT_ADHERENCE_SETTINGS, type AdherenceSettings } from './adherence';
import { DEFAULT_RULE_SETTINGS, type RuleSettings } from './rules';

/**
 * The adherence thresholds clinical-rules §4–§5 marks configurable and that are not a
 * program's own (a program carries its `restGapDays`): the step share that makes a day active,
 * and the increase WALKING_GOAL_PROGRESSION suggests.
 */
export const ADHERENCE_SETTING_KEYS = ['activeDayStepPercent', 'walkingIncreasePercent'] as const;
type AdherenceSettingKey = (typeof ADHERENCE_SETTING_KEYS)[number];

/** Every threshold an organization may override, alert rules and adherence alike. */
export type ConfigurableSettings = RuleSettings & Pick<AdherenceSettings, AdherenceSettingKey>;

export const DEFAULT_CONFIGURABLE_SETTINGS: ConfigurableSettings = {
  ...DEFAULT_RULE_SETTINGS,
  activeDayStepPercent: DEFAULT_ADHERENCE_SETTINGS.activeDayStepPercent,
  walkingIncreasePercent: DEFAULT_ADHERENCE_SETTINGS.walkingIncreasePercent,
};

export const RULE_SETTING_KEYS = Object.keys(
  DEFAULT_CONFIGURABLE_SETTINGS,
) as (keyof ConfigurableSettings)[];

/** The numeric overrides stored in an organization's settings; anything else is ignored. */
export function ruleOverridesOf(settings: Record<string, unknown>): Partial<ConfigurableSettings> {
  const stored = (settings.rules ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    RULE_SETTING_KEYS.filter((k) => typeof stored[k] === 'number').map((k) => [k, stored[k]]),
  );
}

/** The adherence thresholds in force for an organization of these stored settings. */
export function adherenceSettingsOf(settings: Record<string, unknown>): AdherenceSettings {
  const overrides = ruleOverridesOf(settings);
  const result: { -readonly [K in keyof AdherenceSettings]: number } = {
    ...DEFAULT_ADHERENCE_SETTINGS,
  };
  for (const key of ADHERENCE_SETTING_KEYS) result[key] = overrides[key] ?? result[key];
  return result;
}

/** The rule thresholds of an organization of these stored settings: defaults with its overrides. */
export function ruleSettingsOf(settings: Record<string, unknown>): RuleSettings {
  return { ...DEFAULT_RULE_SETTINGS, ...ruleOverridesOf(settings) };
}

/** What makes a data day for remote monitoring (docs/rtm.md): any record or sample, or exercise sessions only. */
export type RtmDataDayKind = 'any' | 'exercise';
export const RTM_DATA_DAY_KINDS: readonly RtmDataDayKind[] = ['any', 'exercise'];

/** The organization's data-day setting (`settings.rtm.dataDay`); `any` unless set to `exercise`. */
export function rtmDataDayOf(settings: Record<string, unknown>): RtmDataDayKind {
  const rtm = settings.rtm as { dataDay?: unknown } | undefined;
  return rtm?.dataDay === 'exercise' ? 'exercise' : 'any';
}
