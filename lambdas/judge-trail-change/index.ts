/** Lambda `judge-trail-change`: the `JudgeTrailChange` state of the cloudtrail-tamper playbook. Logic: lib/runtime/playbook/cloudtrail-tamper/judge-trail-change.ts `judgeTrailChangeStep`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { judgeTrailChangeStep } from '../../lib/runtime/playbook/cloudtrail-tamper/judge-trail-change';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('judge-trail-change', PlaybookStateSchema, judgeTrailChangeStep);
