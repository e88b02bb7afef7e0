import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { FirebreakError, InvalidInput } from '../core/errors';
import { PROJECT_ROOT } from '../core/project-root';
import { COMMANDS, CONNECTION_OPTIONS, EXIT_CODES_HELP, GROUPS, CommandSpec } from './command-table';
import { ExitCode, Output, safeOutput } from './output';

/**
 * Runs the `firebreak` CLI: builds the commander program from the command table (lib/cli/command-table.ts) and runs
 * the one command `argv` names. A command's module is loaded (`await import`) only when it runs, so `--help`,
 * `--version` and the operator commands load no harness, CDK or local-runner code.
 * @param argv - arguments after the program name.
 * @param rawOutput - where to write; every line goes through {@link safeOutput}.
 * @returns the exit code: 0 ok (and `--help`, `--version`), 1 failed, 2 invalid input (one line on stderr). Only
 *   `bin/firebreak.ts` sets the process's exit code.
 * @throws nothing: every error becomes an exit code and one line on stderr.
 */
export async function runCli(argv: string[], rawOutput: Output): Promise<number> {
  // Nothing reaches the terminal unescaped: case fields, finding types and errors may carry what a member account wrote.
  const output = safeOutput(rawOutput);
  if (argv.length === 0) {
    output.err('firebreak: error: missing command; see firebreak --help');
    return ExitCode.InvalidInput;
  }
  let code: number = ExitCode.Ok;
  const program = buildProgram(output, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    return exitCodeOf(err, output);
  }
}

/** The exit code of an error a command threw (or commander's own exit), with its one line on stderr. */
function exitCodeOf(err: unknown, output: Output): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return ExitCode.Ok;
    return ExitCode.InvalidInput;
  }
  if (err instanceof InvalidInput) {
    output.err(`firebreak: error: ${err.message.split('\n')[0]}`);
    return ExitCode.InvalidInput;
  }
  const e = err as Error;
  output.err(`firebreak: ${err instanceof FirebreakError ? e.name : 'unexpected error'}: ${String(e?.message ?? err).split('\n')[0]}`);
  return ExitCode.Failed;
}

/**
 * The version in package.json (what `firebreak --version` prints).
 * @throws {Error} from node:fs when package.json cannot be read (a broken checkout).
 */
export function cliVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The commander program of the command table: one commander command per {@link CommandSpec}, under its group
 * ({@link GROUPS}) when its path has two words. Builds only: no command module is loaded here.
 * @param done - receives the exit code of the command that ran.
 */
export function buildProgram(output: Output, done: (code: number) => void): Command {
  const program = new Command('firebreak')
    .description(
      'Event-driven incident response for AWS: replay findings and run game days on the embedded emulator; start, watch and release containment by hand.',
    )
    .version(cliVersion(), '-V, --version', 'print the version (package.json) and exit')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => output.out(s.trimEnd()),
      writeErr: (s) => output.err(s.trimEnd()),
      // Usage errors: one line, in the same form as every other error.
      outputError: (s, write) => write(`firebreak: ${s.trim().replace(/\s*\n\s*/g, ' ')}`),
    })
    .addHelpText('after', EXIT_CODES_HELP);
  const groups = new Map<string, Command>();
  for (const spec of COMMANDS) {
    const [first, second] = spec.path;
    let parent = program;
    if (second !== undefined) {
      if (!groups.has(first)) {
        const g = GROUPS[first];
        groups.set(
          first,
          program
            .command(first)
            .description(g.description)
            .addHelpText('after', g.help ?? ''),
        );
      }
      parent = groups.get(first)!;
    }
    addCommand(parent, second ?? first, spec, output, done);
  }
  return program;
}

/** Adds one command of the table to `parent`; its action loads the command's module and runs it. */
function addCommand(parent: Command, name: string, spec: CommandSpec, output: Output, done: (code: number) => void): void {
  const c = parent.command(name, spec.isDefault ? { isDefault: true } : {}).description(spec.description);
  for (const alias of spec.aliases ?? []) c.alias(alias);
  for (const [arg, description] of spec.args ?? []) c.argument(arg, description);
  for (const [flags, description, defaultValue] of [...(spec.options ?? []), ...(spec.connection ? CONNECTION_OPTIONS : [])]) {
    c.option(flags, description, defaultValue);
  }
  if (spec.help) c.addHelpText('after', spec.help);
  c.action(async (...params: unknown[]) => {
    // commander passes the declared arguments, then the options, then the command.
    const args = params.slice(0, spec.args?.length ?? 0) as (string | string[])[];
    const opts = params[args.length] as Record<string, unknown>;
    done(await spec.run(args, opts, output));
  });
}
