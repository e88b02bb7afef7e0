/** Lambda `plan-containment`: the `PlanDryRun` state of the ec2-compromise playbook. Logic: lib/runtime/playbook/ec2-compromise.ts `planContainment`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { planContainment } from '../../lib/runtime/playbook/ec2-compromise';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('plan-containment', PlaybookStateSchema, planContainment);
