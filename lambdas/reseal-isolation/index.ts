/** Lambda `reseal-isolation`: the `ResealIsolation` state of the ec2-compromise playbook (failure path). Logic: lib/runtime/playbook/ec2-compromise/reseal-isolation.ts `resealIsolation`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { resealIsolation } from '../../lib/runtime/playbook/ec2-compromise/reseal-isolation';
import { NetworkFailureStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('reseal-isolation', NetworkFailureStateSchema, resealIsolation);
