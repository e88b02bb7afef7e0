/** Lambda `write-manifest`: the `WriteManifest` state of the ec2-compromise playbook. Logic: lib/playbook/ec2-compromise.ts `writeManifest`. */
import { stepHandler } from '../../lib/playbook/handler';
import { writeManifest } from '../../lib/playbook/ec2-compromise';
import { PlaybookStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('write-manifest', PlaybookStateSchema, writeManifest);
