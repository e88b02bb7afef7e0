/** Lambda `collect-artifacts`: the `CollectArtifacts` state of the ec2-compromise playbook. Logic: lib/playbook/ec2-compromise.ts `collectArtifacts`. */
import { stepHandler } from '../../lib/playbook/handler';
import { collectArtifacts } from '../../lib/playbook/ec2-compromise';
import { PlaybookStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('collect-artifacts', PlaybookStateSchema, collectArtifacts);
