/** Lambda `write-manifest`: the `WriteManifest` state of the ec2-compromise playbook. Logic: lib/runtime/playbook/ec2-compromise/write-manifest.ts `writeManifest`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { writeManifest } from '../../lib/runtime/playbook/ec2-compromise/write-manifest';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('write-manifest', PlaybookStateSchema, writeManifest);
