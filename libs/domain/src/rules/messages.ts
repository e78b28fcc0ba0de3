import type { Finding, RuleId } from './types';

/** What the app shows the patient, in the project's own words. */
export const RULE_MESSAGES: Readonly<Record<RuleId, string>> = {
  RED_FLAG_CAUDA_EQUINA:
    'Numbness around the groin, a change in bladder or bowel control, or pain in both legs needs a doctor today. Please seek urgent care now.',
  RED_FLAG_MOTOR:
    'New or increasing weakness in the leg or foot needs to be checked promptly. Please seek urgent care now.',
  RED_FLAG_SYSTEMIC:
    'Fever, unexplained weight loss or constant pain at night can point to something other than a disc problem. Your clinician has been told.',
  PERIPHERALIZATION:
    'Your pain has spread farther down the leg. Stop these exercises for now; your clinician has been told and will advise you.',
  NEW_LEG_PAIN:
    'Pain has appeared in a part of the leg or buttock that was not painful before. Stop these exercises for now; your clinician has been told.',
  LEG_PAIN_WORSE:
    'Your leg pain is clearly worse after the session. Ease off and let your clinician know how you feel.',
  PERSISTENT_FLARE:
    'Your pain got much worse after exercising and is still worse today. Do not do any of the exercises until your clinician has reviewed your program.',
  PAIN_TREND_WORSE:
    'Your pain over the past week has been clearly higher than when you started. Your clinician has been told.',
  PERSISTENT_SYMPTOMS:
    'Your symptoms have lasted several months without much improvement. Your clinician may suggest a specialist review.',
  INCREASED_PAIN_AFTER_EXERCISE:
    'Your pain was higher after exercising than before. Mention it to your clinician at your next contact.',
  CENTRALIZING:
    'Good sign: your pain is moving out of the leg toward the lower back. Keep going with your program.',
  FUNCTION_IMPROVED:
    'You can do the activities you chose clearly better than when you first rated them. Keep going with your program.',
  FUNCTION_WORSENED:
    'Some of the activities you chose have become clearly harder since you first rated them. Talk it over with your clinician at your next contact.',
  DISABILITY_IMPROVED:
    'Your back and leg trouble gets in the way of daily life clearly less than at your first questionnaire. Keep going with your program.',
  DISABILITY_WORSENED:
    'Your back and leg trouble gets in the way of daily life clearly more than at your first questionnaire. Your clinician has been told.',
};

/** The message for one finding: a fever is urgent and says so. */
export function findingMessage(finding: Pick<Finding, 'rule' | 'severity'>): string {
  if (finding.rule === 'RED_FLAG_SYSTEMIC' && finding.severity === 'urgent') {
    return 'Back pain with a fever needs a doctor to see you promptly. Please seek urgent care now.';
  }
  return RULE_MESSAGES[finding.rule];
}
