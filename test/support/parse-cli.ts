import { CommanderError, type Command } from 'commander';
import { buildProgram } from '../../lib/cli/program';

/**
 * Parses argv (without `firebreak`) with the real commander program, every command's action replaced by nothing, so
 * that documentation (runbooks, the deploy guide) can be checked to name only commands and options that exist.
 * @returns the usage error commander printed (unknown command or option, a missing or extra argument), or undefined when
 *   the words parse (a displayed help counts as parsing).
 */
export async function parseError(argv: readonly string[]): Promise<string | undefined> {
  const errors: string[] = [];
  const program = buildProgram({ out: () => undefined, err: (l) => errors.push(l) }, () => undefined);
  const leaves = (c: Command): Command[] => (c.commands.length ? c.commands.flatMap(leaves) : [c]);
  for (const leaf of leaves(program)) leaf.action(() => undefined);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return undefined;
  } catch (err) {
    if (err instanceof CommanderError && err.code === 'commander.helpDisplayed') return undefined;
    return errors.join(' ') || (err instanceof Error ? err.message : String(err));
  }
}
