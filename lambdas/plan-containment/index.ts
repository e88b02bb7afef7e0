/** Lambda `plan-containment`: the `PlanDryRun` state, shared by the containment playbooks. Logic: lib/runtime/playbook/shared/plan-containment.ts `planContainment`. */
import { stepHandlerWithoutLedger } from '../../lib/runtime/playbook/handler-without-ledger';
import { planContainment } from '../../lib/runtime/playbook/shared/plan-containment';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandlerWithoutLedger('plan-containment', PlaybookStateSchema, planContainment);
