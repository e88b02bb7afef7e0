import { Command, CommanderError } from 'commander';
import { FirebreakError, InvalidInput } from '../core/errors';
import { casesListCommand, casesShowCommand, statusCommand } from './commands/cases';
import { gamedayCleanupCommand, gamedayCommand, gamedayReportCommand, gamedaySandboxCommand } from './commands/gameday';
import { localUpCommand } from './commands/local';
import { releaseCommand } from './commands/release';
import { approveCommand } from './commands/approve';
import { replayCommand } from './commands/replay';
import { runCommand } from './commands/run';
import { ExitCode, Output, safeOutput } from './output';

const EXIT_CODES_HELP = `
Exit codes:
  0  the pipeline did what it was designed to do (contained, no rule matched, already handled, dry run)
  1  a playbook failed, a read-back check failed, or a drill expectation failed
  2  invalid input (one line on stderr, no AWS call made)`;

const CONNECTION_HELP = `
Where it acts:
  by default, the Firebreak deployment in AWS that the profile's credentials reach
  (the security account: state machines firebreak-<playbook>, ledger table firebreak-ledger);
  --local or --endpoint URL: a local stack started with \`firebreak local up\` (the emulator).`;

/** The exit-code help of a command whose 0 and 1 mean something of their own. */
function exitCodes(ok: string, failed: string): string {
  return `
Exit codes:
  0  ${ok}
  1  ${failed}
  2  invalid input (one line on stderr, no AWS call made)`;
}

type WithConnection = Command;
function connectionOptions(c: Command): WithConnection {
  return c
    .option('--profile <name>', 'AWS: named profile of the shared config files')
    .option('--region <region>', 'AWS: region of the deployment and of the target (default: AWS_REGION, then us-east-1)')
    .option('--prefix <prefix>', 'AWS: the deployment\'s name prefix (state machines <prefix>-<playbook>, ledger <prefix>-ledger; default: firebreak)')
    .option('--local', 'use the local stack started by `firebreak local up`')
    .option('--endpoint <url>', 'use the local stack at this URL')
    .option('--json', 'print JSON on stdout, for scripts');
}

/**
 * Runs the `firebreak` CLI.
 * @param argv - arguments after the program name.
 * @param output - where to write.
 * @returns the exit code (only `bin/firebreak.ts` sets the process's exit code).
 */
export async function runCli(argv: string[], rawOutput: Output): Promise<number> {
  // Nothing reaches the terminal unescaped: case fields, finding types and errors may carry what a member account wrote.
  const output = safeOutput(rawOutput);
  let code: number = ExitCode.Ok;
  const program = new Command('firebreak')
    .description('Event-driven incident response for AWS: replay findings and run game days on the embedded emulator; start, watch and release containment by hand.')
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
  const gameday = program
    .command('gameday')
    .description('Game days: run drills on the local emulator and keep their scorecards.')
    .addHelpText('after', `\nWithout a subcommand, runs drills: firebreak gameday [drill.yaml...] [--all] (see firebreak gameday run --help).\n${EXIT_CODES_HELP}`);
  gameday
    .command('run', { isDefault: true })
    .description('Run drills (default: the ec2-compromise drill; --all: every drill under runbooks/), print each scorecard, and write reports/<run-id>/scorecard.{json,md,html} and reports/history.jsonl.')
    .argument('[drill.yaml...]', 'drill files')
    .option('--all', 'run every drill under runbooks/')
    .option('--out <dir>', 'where the reports go', 'reports')
    .option('--endpoint <url>', 'local: use an emulator already running at this URL; --target aws: a local stack standing in for the account')
    .option('--json', 'print only the JSON scorecard on stdout')
    .option('--target <target>', 'local (the embedded emulator) or aws (a sandbox account with the deployed stack: tagged canaries, a game-day event, verify, clean up)', 'local')
    .option('--profile <name>', '--target aws: named profile of the sandbox account')
    .option('--region <region>', '--target aws: region of the deployment')
    .option('--timeout <seconds>', '--target aws: how long to wait for each case', '300')
    .addHelpText('after', `${EXIT_CODES_HELP}\n  130  --target aws: interrupted (Ctrl-C); the canaries were cleaned up, or \`gameday cleanup\` finishes it`)
    .action(async (files: string[], opts: Parameters<typeof gamedayCommand>[1] & Parameters<typeof gamedaySandboxCommand>[1] & { target: string }) => {
      if (opts.target !== 'local' && opts.target !== 'aws') throw new InvalidInput(`--target ${opts.target}: expected local or aws`);
      code = opts.target === 'aws' ? await gamedaySandboxCommand(files, opts, output) : await gamedayCommand(files, opts, output);
    });
  gameday
    .command('cleanup')
    .description('Finish the cleanup of interrupted sandbox game days (.firebreak/gameday/<run-id>.json): canaries, their volumes and evidence snapshots, Firebreak\'s groups in the canary VPC, the canary user.')
    .option('--run-id <id>', 'only this game day')
    .option('--profile <name>', 'named profile of the sandbox account')
    .option('--region <region>', 'region of the deployment')
    .option('--endpoint <url>', 'a local stack standing in for the account')
    .addHelpText('after', exitCodes('nothing is left of the game days', 'something is left (e.g. an instance still shutting down): run it again'))
    .action(async (opts: Parameters<typeof gamedayCleanupCommand>[0]) => {
      code = await gamedayCleanupCommand(opts, output);
    });
  gameday
    .command('report')
    .description('Time to contain and pass rate per drill across the game days in reports/history.jsonl; charts in reports/report.html.')
    .option('--out <dir>', 'where the reports are', 'reports')
    .option('--json', 'print JSON on stdout')
    .addHelpText('after', exitCodes('the report was written', 'unexpected error'))
    .action(async (opts: Parameters<typeof gamedayReportCommand>[0]) => {
      code = await gamedayReportCommand(opts, output);
    });
  connectionOptions(
    program
      .command('run')
      .description('Start a playbook by hand on a named target. A second run on the same target attaches to its open case instead of starting another containment.')
      .argument('<playbook>', 'ec2-compromise (with --instance) or credential-compromise (with --access-key and --user, or --role)')
      .option('--instance <id>', 'the EC2 instance to contain (i-...)')
      .option('--access-key <id>', 'the access key to revoke (AKIA...); needs --user')
      .option('--user <name>', 'the IAM user the key belongs to')
      .option('--role <name>', 'the IAM role whose sessions to revoke')
      .option('--account <id>', 'the member account of the target (default: the deployment\'s own account; locally, the member account)')
      .option('--reason <text>', 'why (required; goes on the case timeline with your identity)')
      .option('--dry-run', 'print the plan; make no mutating call')
      .option('--wait', 'follow the execution state by state until it ends'),
  )
    .addHelpText('after', `${CONNECTION_HELP}\n${exitCodes('started, or attached to the open case; with --wait: the execution succeeded (contained, notified, resource gone, dry run)', 'with --wait: the execution failed; the failing step and its error are printed')}`)
    .action(async (playbook: string, opts: Parameters<typeof runCommand>[1]) => {
      code = await runCommand(playbook, opts, output);
    });
  const casesExit = exitCodes('the cases were read', 'an AWS call failed');
  const cases = program.command('cases').description('Read cases from the ledger.').addHelpText('after', `${CONNECTION_HELP}\n${casesExit}`);
  connectionOptions(
    cases.command('list')
      .description('List cases, newest first.')
      .option('--open', 'only open cases (in progress, contained, notified, failed)')
      .option('--account <id>', 'only cases in this member account'),
  )
    .addHelpText('after', casesExit)
    .action(async (opts: Parameters<typeof casesListCommand>[0]) => {
      code = await casesListCommand(opts, output);
    });
  connectionOptions(
    cases.command('show')
      .description('Show a case: the resource, the finding, prior state and evidence recorded, and the timeline (each step, when, triggered by whom or what, its API calls).')
      .argument('<caseId>', 'fb-<yyyymmdd>-<10 hex digits>'),
  )
    .addHelpText('after', casesExit)
    .action(async (caseId: string, opts: Parameters<typeof casesShowCommand>[1]) => {
      code = await casesShowCommand(caseId, opts, output);
    });
  connectionOptions(
    program.command('status')
      .description('Show the status of a case (and its latest execution) or of an execution.')
      .argument('<caseId|executionArn>', 'a case ID or a Step Functions execution ARN'),
  )
    .addHelpText('after', `${CONNECTION_HELP}\n${exitCodes('the status was read, and the execution (if any) has not failed', 'the execution failed, timed out or was aborted')}`)
    .action(async (ref: string, opts: Parameters<typeof statusCommand>[1]) => {
      code = await statusCommand(ref, opts, output);
    });
  connectionOptions(
    program.command('release')
      .description('Undo a case\'s containment from its recorded prior state (security groups per ENI, instance profile, Auto Scaling and target group membership, termination and shutdown attributes; key status and Firebreak\'s deny policies). Evidence is never deleted. Runs the release playbook under the FirebreakReleaser role.')
      .argument('<caseId>', 'fb-<yyyymmdd>-<10 hex digits>')
      .option('--reason <text>', 'why (required; goes on the case timeline with your identity)')
      .option('--wait', 'follow the release state by state until it ends'),
  )
    .addHelpText('after', `${CONNECTION_HELP}\n${exitCodes('started, or already released; with --wait: the release succeeded', 'with --wait: the release failed; the failing step and its error are printed')}`)
    .action(async (caseId: string, opts: Parameters<typeof releaseCommand>[1]) => {
      code = await releaseCommand(caseId, opts, output);
    });
  for (const decision of ['approve', 'deny'] as const) {
    connectionOptions(
      program.command(decision)
        .description(decision === 'approve'
          ? 'Approve the containment a case waits for (catalog entries in approval mode): the playbook goes on and contains.'
          : 'Deny the containment a case waits for: the playbook contains nothing and the case stays notify-only.')
        .argument('<caseId>', 'fb-<yyyymmdd>-<10 hex digits>')
        .option('--reason <text>', decision === 'approve' ? 'why (goes on the case timeline with your identity)' : 'why (required; goes on the case timeline with your identity)')
        .option('--wait', 'follow the execution until it ends'),
    )
      .addHelpText('after', `${CONNECTION_HELP}\n${exitCodes('the answer was sent; with --wait: the execution succeeded', 'with --wait: the execution failed')}`)
      .action(async (caseId: string, opts: Parameters<typeof approveCommand>[2]) => {
        code = await approveCommand(decision, caseId, opts, output);
      });
  }
  program
    .command('local')
    .description('A local stack: the emulator with the playbooks behind a local Step Functions endpoint, for the operator commands (--local).')
    .command('up')
    .description('Start a local stack with a demo world (an instance, an IAM user with two keys) and serve until Ctrl-C.')
    .option('--port <port>', 'the stack\'s port', '4599')
    .option('--endpoint <url>', 'use an emulator already running at this URL')
    .addHelpText('after', exitCodes('stopped cleanly (Ctrl-C)', 'the stack could not start'))
    .action(async (opts: Parameters<typeof localUpCommand>[0]) => {
      code = await localUpCommand(opts, output);
    });
  if (argv.length === 0) {
    output.err('firebreak: error: missing command; see firebreak --help');
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
