import * as path from 'node:path';

/** Where a running local stack (`firebreak local up`) records its endpoint: what `--local` reads. */
export const LOCAL_STACK_FILE = path.join('.firebreak', 'local-stack.json');
