/** Lambda `plan-containment`: the `PlanDryRun` state of the ec2-compromise playbook. Logic: lib/playbook/ec2-compromise.ts `planContainment`. */
import { stepHandler } from '../../lib/playbook/handler';
import { planContainment } from '../../lib/playbook/ec2-compromise';
import { PlaybookStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('plan-containment', PlaybookStateSchema, planContainment);
