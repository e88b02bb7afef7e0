import { Command, CommanderError } from 'commander';
import { FirebreakError, InvalidInput } from '../errors';
import { gamedayCommand } from './commands/gameday';
import { replayCommand } from './commands/replay';
import { ExitCode, Output } from './output';

const EXIT_CODES_HELP = `
Exit codes:
  0  the pipeline did what it was designed to do (contained, no rule matched, already handled, dry run)
  1  a playbook failed, a read-back check failed, or a drill expectation failed
  2  invalid input (one line on stderr, no AWS call made)`;

/**
 * Runs the `firebreak` CLI.
 * @param argv - arguments after the program name.
 * @param output - where to write.
 * @returns the exit code (only `bin/firebreak.ts` sets the process's exit code).
 */
export async function runCli(argv: string[], output: Output): Promise<number> {
  let code: number = ExitCode.Ok;
  const program = new Command('firebreak')
    .description('Event-driven incident response for AWS: replay findings and run game days on the embedded emulator.')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => output.out(s.trimEnd()),
      writeErr: (s) => output.err(s.trimEnd()),
      // Usage errors: one line, in the same form as every other error.
      outputError: (s, write) => write(`firebreak: ${s.trim().replace(/\s*\n\s*/g, ' ')}`),
    })
    .addHelpText('after', EXIT_CODES_HELP);
  program
    .command('replay')
    .description('Replay a recorded EventBridge event on the local emulator: twin its resources, route it through the synthesized rules, run the matched playbooks, verify by reading back.')
    .argument('<event.json>', 'an EventBridge event in AWS\'s documented format')
    .option('--endpoint <url>', 'use an emulator already running at this URL and leave its state there')
    .option('--json', 'print only the JSON report on stdout')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (file: string, opts: { endpoint?: string; json?: boolean }) => {
      code = await replayCommand(file, opts, output);
    });
  program
    .command('gameday')
    .description('Run a runbook\'s game-day drill on the local emulator and print its scorecard.')
    .argument('[drill.yaml]', 'the drill', 'runbooks/ec2-compromise/drill.yaml')
    .option('--endpoint <url>', 'use an emulator already running at this URL and leave its state there')
    .option('--json', 'print only the JSON scorecard on stdout')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (file: string, opts: { endpoint?: string; json?: boolean }) => {
      code = await gamedayCommand(file, opts, output);
    });
  if (argv.length === 0) {
    output.err('firebreak: error: missing command (replay or gameday); see firebreak --help');
    return ExitCode.InvalidInput;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return ExitCode.Ok;
      return ExitCode.InvalidInput;
    }
    if (err instanceof InvalidInput) {
      output.err(`firebreak: error: ${err.message.split('\n')[0]}`);
      return ExitCode.InvalidInput;
    }
    const e = err as Error;
    output.err(`firebreak: ${err instanceof FirebreakError ? e.name : 'unexpected error'}: ${String(e.message).split('\n')[0]}`);
    return ExitCode.Failed;
  }
}
