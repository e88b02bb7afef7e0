/** Lambda `normalize-finding`: the `Normalize` state. Logic: lib/incident/normalize.ts. */
import { z } from 'zod';
import { stepHandler } from '../../lib/playbook/handler';
import { normalizeFinding } from '../../lib/playbook/ec2-compromise';

const NormalizeInputSchema = z.object({ input: z.unknown(), executionName: z.string().min(1), executionStartTime: z.string().min(1) });

export const handler = stepHandler('normalize-finding', NormalizeInputSchema, (input) => normalizeFinding(input));
