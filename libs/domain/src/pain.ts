/**
 * Most distal site with pain, ordered from the spine outward. The order is what the
 * peripheralization and centralization rules compare.
 */
export const PAIN_SITES = ['none', 'low_back', 'buttock', 'thigh', 'calf', 'foot'] as const;
export type PainSite = (typeof PAIN_SITES)[number];

export const PAIN_SIDES = ['left', 'right', 'both'] as const;
export type PainSide = (typeof PAIN_SIDES)[number];

export const PAIN_CONTEXTS = ['baseline', 'before_session', 'after_session', 'next_day'] as const;
export type PainContext = (typeof PAIN_CONTEXTS)[number];

export const PAIN_INTENSITY_MIN = 0;
export const PAIN_INTENSITY_MAX = 10;

/** 0 for `none`, 5 for `foot`: larger means farther down the leg. */
export function siteDistance(site: PainSite): number {
  return PAIN_SITES.indexOf(site);
}

/** Buttock or any leg site: the sites where new or worse pain means the nerve is more irritated. */
export function isLegSite(site: PainSite): boolean {
  return siteDistance(site) >= siteDistance('buttock');
}
