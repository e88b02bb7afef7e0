/**
 * Lambda `record-trail-baselines`: the proactive tamper baseline, invoked by its schedule rule and after each deployment of
 * the security stack. Logic: lib/runtime/playbook/cloudtrail-tamper/record-trail-baselines.ts `recordTrailBaselinesStep`.
 */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { BaselineTriggerSchema, recordTrailBaselinesStep } from '../../lib/runtime/playbook/cloudtrail-tamper/record-trail-baselines';

export const handler = stepHandler('record-trail-baselines', BaselineTriggerSchema, recordTrailBaselinesStep);
