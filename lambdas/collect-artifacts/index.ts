/** Lambda `collect-artifacts`: the `CollectArtifacts` state of the ec2-compromise playbook. Logic: lib/runtime/playbook/ec2-compromise/collect-artifacts.ts `collectArtifacts`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { collectArtifacts } from '../../lib/runtime/playbook/ec2-compromise/collect-artifacts';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('collect-artifacts', PlaybookStateSchema, collectArtifacts);
