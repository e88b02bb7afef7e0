/**
 * The command table of the `firebreak` CLI: what each command is called, its arguments, options and help, and a
 * thin `run` that loads the command's module with `await import(...)` only when the command runs (lib/cli/program.ts
 * builds commander from it). So `firebreak --help`, `--version` and the operator commands load no harness, CDK or
 * local-runner code; eslint.config.js refuses a static import of them from lib/cli (docs/ARCHITECTURE.md, "Layers").
 */
import { InvalidInput } from '../core/errors';
import type { ApproveCommandOptions } from './commands/approve';
import type { BreakerCommandOptions } from './commands/breaker';
import type { CasesListOptions, CasesShowOptions } from './commands/cases';
import type { SuppressAddOptions } from './commands/suppress';
import type { GamedayCommandOptions, SandboxCommandOptions } from './commands/gameday';
import type { LocalUpOptions } from './commands/local';
import type { ReleaseCommandOptions } from './commands/release';
import type { ReplayCommandOptions } from './commands/replay';
import type { RunCommandOptions } from './commands/run';
import type { ConnectOptions } from '../operator/connection';
import type { DoctorCommandOptions } from './commands/doctor';
import type { Output } from './output';

/** An option: commander's flags, its description, and its default. */
export type OptionSpec = readonly [flags: string, description: string, defaultValue?: string];

/** One command of the table. */
export interface CommandSpec {
  /** The words that name it: `['run']`, `['gameday', 'report']` (the first word is then a {@link GROUPS} entry). */
  readonly path: readonly [string] | readonly [string, string];
  readonly description: string;
  /** Positional arguments, commander's syntax (`<caseId>`, `[drill.yaml...]`), and their descriptions. */
  readonly args?: readonly (readonly [name: string, description: string])[];
  readonly options?: readonly OptionSpec[];
  /** Takes the {@link CONNECTION_OPTIONS} (where it acts: AWS through a profile, or a local stack). */
  readonly connection?: boolean;
  /** The group's default subcommand (`firebreak gameday` runs `gameday run`). */
  readonly isDefault?: boolean;
  /** Other names of the command (`preflight` for `doctor`). */
  readonly aliases?: readonly string[];
  /** Help text after the options. */
  readonly help?: string;
  /**
   * Loads the command's module and runs it.
   * @param args - the positional arguments, in the order of `args`.
   * @param opts - the options as commander parsed them.
   * @returns the exit code.
   * @throws {InvalidInput} for bad input (exit 2); anything else is exit 1.
   */
  readonly run: (args: readonly (string | string[])[], opts: Record<string, unknown>, output: Output) => Promise<number>;
}

/** The exit codes every command documents. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  the pipeline did what it was designed to do (contained, no rule matched, already handled, dry run)
  1  a playbook failed, a read-back check failed, or a drill expectation failed
  2  invalid input (one line on stderr, no AWS call made)`;

const CONNECTION_HELP = `
Where it acts:
  by default, the Firebreak deployment in AWS that the profile's credentials reach
  (the security account: state machines <prefix>-<playbook>, ledger table <prefix>-ledger, --prefix firebreak by default);
  --local or --endpoint URL: a local stack started with \`firebreak local up\` (the emulator).`;

/** The exit-code help of a command whose 0 and 1 mean something of their own. */
function exitCodes(ok: string, failed: string): string {
  return `
Exit codes:
  0  ${ok}
  1  ${failed}
  2  invalid input (one line on stderr, no AWS call made)`;
}

/** The options of every command that acts on a deployment (lib/operator/connection.ts). */
export const CONNECTION_OPTIONS: readonly OptionSpec[] = [
  ['--profile <name>', 'AWS: named profile of the shared config files'],
  ['--region <region>', 'AWS: region of the deployment and of the target (default: AWS_REGION, then us-east-1)'],
  [
    '--prefix <prefix>',
    "AWS: the deployment's name prefix (state machines <prefix>-<playbook>, ledger <prefix>-ledger; default: firebreak)",
  ],
  ['--local', 'use the local stack started by `firebreak local up`'],
  ['--endpoint <url>', 'use the local stack at this URL'],
  ['--json', 'print JSON on stdout, for scripts'],
];

/** The commands that only group others. */
export const GROUPS: Readonly<Record<string, { readonly description: string; readonly help?: string }>> = {
  gameday: {
    description: 'Game days: run drills on the local emulator and keep their scorecards.',
    help: `\nWithout a subcommand, runs drills: firebreak gameday [drill.yaml...] [--all] (see firebreak gameday run --help).\n${EXIT_CODES_HELP}`,
  },
  cases: {
    description: 'Read cases from the ledger.',
    help: `${CONNECTION_HELP}\n${exitCodes('the cases were read', 'an AWS call failed')}`,
  },
  suppress: {
    description:
      'Suppression rules: findings a person decided need no response become recorded cases, closed SUPPRESSED, with nothing changed and nobody notified.',
    help: `${CONNECTION_HELP}\n${exitCodes('done', 'an AWS call failed')}`,
  },
  breaker: {
    description:
      'The blast-radius breaker: at most breaker.perAccount / perOrganization automatic containments in breaker.windowSeconds; past it, cases wait for approval.',
    help: `${CONNECTION_HELP}\n${EXIT_CODES_HELP}`,
  },
  local: {
    description:
      'A local stack: the emulator with the playbooks behind a local Step Functions endpoint, for the operator commands (--local).',
  },
  evidence: {
    description: "Check a case's evidence as a third party would: hashes, Object Lock, snapshots (issue 16).",
    help: `${CONNECTION_HELP}\n${EXIT_CODES_HELP}`,
  },
};

/** `--target local|aws` of `firebreak gameday run`. @throws {InvalidInput} for anything else. */
function assertTarget(target: unknown): 'local' | 'aws' {
  if (target !== 'local' && target !== 'aws') throw new InvalidInput(`--target ${String(target)}: expected local or aws`);
  return target;
}

const CASE_ID: readonly [string, string] = ['<caseId>', 'fb-<yyyymmdd>-<10 hex digits>'];
const casesExit = exitCodes('the cases were read', 'an AWS call failed');

const suppressExit = exitCodes('done', 'an AWS call failed');

/** `suppress add`, `suppress list`, `suppress remove` (issue 14, item 5). */
const SUPPRESS_COMMANDS: readonly CommandSpec[] = [
  {
    path: ['suppress', 'add'],
    description:
      'Add a suppression rule: a finding it matches (every criterion given) becomes a case closed SUPPRESSED, with nothing changed and nobody notified, until the rule expires or is removed. Give at least --type, --resource or --principal.',
    options: [
      ['--type <findingType>', 'finding type, exact or a prefix ending in * (e.g. Recon:EC2/*; an API call: <eventSource>:<eventName>)'],
      ['--resource <id>', 'resource, exact: instance ID, access key ID, trail name or ARN, bucket name, resource ARN'],
      ['--principal <name>', 'principal, exact: IAM user or role name, principal ARN or ID'],
      ['--account <id>', 'only findings in this member account'],
      ['--expires <time>', 'when the rule stops applying, ISO-8601 UTC (e.g. 2026-12-31T00:00:00Z), at most 90 days ahead (required)'],
      ['--reason <text>', 'why these findings need no response (required; kept on the rule and on every case it suppresses)'],
    ],
    connection: true,
    help: suppressExit,
    run: async (_, o, output) => (await import('./commands/suppress')).suppressAddCommand(o as SuppressAddOptions, output),
  },
  {
    path: ['suppress', 'list'],
    description: 'List suppression rules, oldest first: active, expired and removed, with who added (and removed) each, when and why.',
    options: [['--active', 'only the rules that apply now']],
    connection: true,
    help: suppressExit,
    run: async (_, o, output) =>
      (await import('./commands/suppress')).suppressListCommand(o as ConnectOptions & { active?: boolean; json?: boolean }, output),
  },
  {
    path: ['suppress', 'remove'],
    description: 'Remove a suppression rule: it stops applying at once and stays listed as removed, with who removed it, when and why.',
    args: [['<ruleId>', 'sr-<12 hex digits>']],
    options: [['--reason <text>', 'why (required)']],
    connection: true,
    help: suppressExit,
    run: async ([ruleId], o, output) =>
      (await import('./commands/suppress')).suppressRemoveCommand(
        ruleId as string,
        o as ConnectOptions & { reason?: string; json?: boolean },
        output,
      ),
  },
];

/** `approve` and `deny`: one entry each. */
function decisionCommand(decision: 'approve' | 'deny'): CommandSpec {
  return {
    path: [decision],
    description:
      decision === 'approve'
        ? 'Approve the containment a case waits for (catalog entries in approval mode): the playbook goes on and contains.'
        : 'Deny the containment a case waits for: the playbook contains nothing and the case stays notify-only.',
    args: [CASE_ID],
    options: [
      [
        '--reason <text>',
        decision === 'approve'
          ? 'why (goes on the case timeline with your identity)'
          : 'why (required; goes on the case timeline with your identity)',
      ],
      ['--wait', 'follow the execution until it ends'],
    ],
    connection: true,
    help: `${CONNECTION_HELP}\n${exitCodes('the answer was sent; with --wait: the execution succeeded', 'with --wait: the execution failed')}`,
    run: async ([caseId], o, output) =>
      (await import('./commands/approve')).approveCommand(decision, caseId as string, o as ApproveCommandOptions, output),
  };
}

/** Every command, in the order `firebreak --help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    path: ['replay'],
    description:
      'Replay a recorded EventBridge event on the local emulator: twin its resources, route it through the synthesized rules, run the matched playbooks, verify by reading back.',
    args: [['<event.json>', "an EventBridge event in AWS's documented format"]],
    options: [
      ['--endpoint <url>', 'use an emulator already running at this URL and leave its state there'],
      ['--json', 'print only the JSON report on stdout'],
    ],
    help: EXIT_CODES_HELP,
    run: async ([file], o, output) => (await import('./commands/replay')).replayCommand(file as string, o as ReplayCommandOptions, output),
  },
  {
    path: ['gameday', 'run'],
    isDefault: true,
    description:
      'Run drills (default: the ec2-compromise drill; --all: every drill under runbooks/), print each scorecard, and write reports/<run-id>/scorecard.{json,md,html} and reports/history.jsonl.',
    args: [['[drill.yaml...]', 'drill files']],
    options: [
      ['--all', 'run every drill under runbooks/'],
      ['--out <dir>', 'where the reports go', 'reports'],
      ['--endpoint <url>', 'local: use an emulator already running at this URL; --target aws: a local stack standing in for the account'],
      ['--json', 'print only the JSON scorecard on stdout'],
      [
        '--target <target>',
        'local (the embedded emulator) or aws (a sandbox account with the deployed stack: tagged canaries, a game-day event, verify, clean up)',
        'local',
      ],
      ['--profile <name>', '--target aws: named profile of the sandbox account'],
      ['--region <region>', '--target aws: region of the deployment'],
      ['--timeout <seconds>', '--target aws: how long to wait for each case', '300'],
    ],
    help: `${EXIT_CODES_HELP}\n  130  --target aws: interrupted (Ctrl-C); the canaries were cleaned up, or \`gameday cleanup\` finishes it`,
    run: async ([files], o, output) => {
      const target = assertTarget(o.target);
      const m = await import('./commands/gameday');
      return target === 'aws'
        ? m.gamedaySandboxCommand(files as string[], o as SandboxCommandOptions, output)
        : m.gamedayCommand(files as string[], o as GamedayCommandOptions, output);
    },
  },
  {
    path: ['gameday', 'cleanup'],
    description:
      "Finish the cleanup of interrupted sandbox game days (.firebreak/gameday/<run-id>.json): canaries, their volumes and evidence snapshots, Firebreak's groups in the canary VPC, the canary user.",
    options: [
      ['--run-id <id>', 'only this game day'],
      ['--profile <name>', 'named profile of the sandbox account'],
      ['--region <region>', 'region of the deployment'],
      ['--endpoint <url>', 'a local stack standing in for the account'],
    ],
    help: exitCodes('nothing is left of the game days', 'something is left (e.g. an instance still shutting down): run it again'),
    run: async (_, o, output) =>
      (await import('./commands/gameday')).gamedayCleanupCommand(o as SandboxCommandOptions & { runId?: string }, output),
  },
  {
    path: ['gameday', 'report'],
    description: 'Time to contain and pass rate per drill across the game days in reports/history.jsonl; charts in reports/report.html.',
    options: [
      ['--out <dir>', 'where the reports are', 'reports'],
      ['--json', 'print JSON on stdout'],
    ],
    help: exitCodes('the report was written', 'unexpected error'),
    run: async (_, o, output) => (await import('./commands/gameday')).gamedayReportCommand(o as { out?: string; json?: boolean }, output),
  },
  {
    path: ['run'],
    description:
      'Start a playbook by hand on a named target. A second run on the same target attaches to its open case instead of starting another containment.',
    args: [['<playbook>', 'ec2-compromise (with --instance) or credential-compromise (with --access-key and --user, or --role)']],
    options: [
      ['--instance <id>', 'the EC2 instance to contain (i-...)'],
      ['--access-key <id>', 'the access key to revoke (AKIA...); needs --user'],
      ['--user <name>', 'the IAM user the key belongs to'],
      ['--role <name>', 'the IAM role whose sessions to revoke'],
      ['--account <id>', "the member account of the target (default: the deployment's own account; locally, the member account)"],
      ['--reason <text>', 'why (required; goes on the case timeline with your identity)'],
      ['--dry-run', 'print the plan; make no mutating call'],
      ['--wait', 'follow the execution state by state until it ends'],
    ],
    connection: true,
    help: `${CONNECTION_HELP}\n${exitCodes('started, or attached to the open case; with --wait: the execution succeeded (contained, notified, resource gone, dry run)', 'with --wait: the execution failed; the failing step and its error are printed')}`,
    run: async ([playbook], o, output) => (await import('./commands/run')).runCommand(playbook as string, o as RunCommandOptions, output),
  },
  {
    path: ['cases', 'list'],
    description: 'List cases, newest first.',
    options: [
      ['--open', 'only open cases (in progress, contained, notified, failed)'],
      ['--account <id>', 'only cases in this member account'],
      ['--shadow', 'only shadow-mode cases (SHADOW: what would have been done, recorded; nothing changed)'],
      ['--suppressed', 'only suppressed cases (SUPPRESSED: a suppression rule matched; nothing changed, nobody notified)'],
      [
        '--resource <id>',
        'only the cases of this resource: its ID exactly (i-..., an access key ID, bucket/<name>, function/<name>, ...) or the IDs under it (role/<name>)',
      ],
    ],
    connection: true,
    help: casesExit,
    run: async (_, o, output) => (await import('./commands/cases')).casesListCommand(o as CasesListOptions, output),
  },
  {
    path: ['cases', 'show'],
    description:
      'Show a case: the resource, the finding, prior state and evidence recorded, and the timeline (each step, when, triggered by whom or what, its API calls).',
    args: [CASE_ID],
    options: [
      [
        '--html <file>',
        'also write a self-contained HTML case report to <file> for the post-incident review: the case, the timeline as a chart, every change with its prior state, the evidence, who acted',
      ],
    ],
    connection: true,
    help: casesExit,
    run: async ([caseId], o, output) =>
      (await import('./commands/cases')).casesShowCommand(caseId as string, o as CasesShowOptions, output),
  },
  {
    path: ['cases', 'note'],
    description:
      'Put a note on the case timeline, with your identity: what you saw and decided, for whoever reads the case next and for the post-incident review. Changes nothing else.',
    args: [CASE_ID, ['<text...>', 'the note (the words are joined with spaces; at most 4000 characters)']],
    connection: true,
    help: exitCodes('the note was recorded', 'an AWS call failed'),
    run: async ([caseId, words], o, output) =>
      (await import('./commands/cases')).casesNoteCommand(
        caseId as string,
        words as string[],
        o as ConnectOptions & { json?: boolean },
        output,
      ),
  },
  {
    path: ['evidence', 'verify'],
    description:
      "Verify a case's evidence: the manifest and every artifact read at their recorded versions and hashed (SHA-256, bytes), each version's Object Lock against the bucket's default retention, each key written once, and every EBS snapshot (and rds-compromise's DB snapshot copy) with its owner, key and state. One line per check.",
    args: [CASE_ID],
    connection: true,
    help: `${CONNECTION_HELP}\n${exitCodes('every check passed', 'a check failed (each FAIL line says why), or the case records no evidence (nothing verified is not a pass)')}`,
    run: async ([caseId], o, output) =>
      (await import('./commands/evidence')).evidenceVerifyCommand(caseId as string, o as ConnectOptions & { json?: boolean }, output),
  },
  {
    path: ['status'],
    description: 'Show the status of a case (and its latest execution) or of an execution.',
    args: [['<caseId|executionArn>', 'a case ID or a Step Functions execution ARN']],
    connection: true,
    help: `${CONNECTION_HELP}\n${exitCodes('the status was read, and the execution (if any) has not failed', 'the execution failed, timed out or was aborted')}`,
    run: async ([ref], o, output) =>
      (await import('./commands/cases')).statusCommand(ref as string, o as ConnectOptions & { json?: boolean }, output),
  },
  {
    path: ['release'],
    description:
      "Undo a case's containment from its recorded prior state (security groups per ENI, instance profile, Auto Scaling and target group membership, termination and shutdown attributes; key status and Firebreak's deny policies). Evidence is never deleted. Runs the release playbook under the FirebreakReleaser role.",
    args: [CASE_ID],
    options: [
      ['--reason <text>', 'why (required; goes on the case timeline with your identity)'],
      ['--wait', 'follow the release state by state until it ends'],
    ],
    connection: true,
    help: `${CONNECTION_HELP}\n${exitCodes('started, or already released; with --wait: the release succeeded', 'with --wait: the release failed; the failing step and its error are printed')}`,
    run: async ([caseId], o, output) =>
      (await import('./commands/release')).releaseCommand(caseId as string, o as ReleaseCommandOptions, output),
  },
  decisionCommand('approve'),
  decisionCommand('deny'),
  ...SUPPRESS_COMMANDS,
  {
    path: ['breaker', 'status'],
    description:
      'Show the breaker: automatic containments counted per account and in the organisation, the limits and window, trips, held cases.',
    connection: true,
    help: `${CONNECTION_HELP}\n${exitCodes('the breaker was read', 'an AWS call failed')}`,
    run: async (_, o, output) => (await import('./commands/breaker')).breakerStatusCommand(o as BreakerCommandOptions, output),
  },
  {
    path: ['breaker', 'reset'],
    description:
      'Reset the breaker: clear its window, and let every held case proceed (its approval answered approve as you, with the reason). Recorded on the breaker and on each held case.',
    options: [['--reason <text>', 'why (required; goes on the breaker timeline and each held case, with your identity)']],
    connection: true,
    help: `${CONNECTION_HELP}\n${exitCodes('the breaker was reset', 'an AWS call failed')}`,
    run: async (_, o, output) => (await import('./commands/breaker')).breakerResetCommand(o as BreakerCommandOptions, output),
  },
  {
    path: ['doctor'],
    aliases: ['preflight'],
    description:
      "Check that the deployment can act, one line per check: in each member account the responder and releaser roles exist, trust the security account's step roles and allow every action the member stack grants them (their policies read and simulated with iam-simulate); in the security account GuardDuty's delegated administrator, the bus and its policy, a confirmed subscription on the topic.",
    options: [
      [
        '--account <id...>',
        "member accounts to check (default: memberAccountIds of cdk.json's firebreak configuration here, else the deployment's own account; locally, the member account)",
      ],
      [
        '--read-role <name>',
        'a role in each member account the CLI may assume to read its IAM roles and policies and the transit key (e.g. with the SecurityAudit managed policy); locally, the responder role',
      ],
      ['--organization-id <id>', "the organisation the bus admits (default: organization.id of cdk.json's firebreak configuration here)"],
    ],
    connection: true,
    help: `${CONNECTION_HELP}\n${exitCodes('every check passed or was skipped (the reason says why)', 'a check failed (the line says which and why)')}`,
    run: async (_, o, output) => (await import('./commands/doctor')).doctorCommand(o as DoctorCommandOptions, output),
  },
  {
    path: ['local', 'up'],
    description: 'Start a local stack with a demo world (an instance, an IAM user with two keys) and serve until Ctrl-C.',
    options: [
      ['--port <port>', "the stack's port", '4599'],
      ['--endpoint <url>', 'use an emulator already running at this URL'],
    ],
    help: exitCodes('stopped cleanly (Ctrl-C)', 'the stack could not start'),
    run: async (_, o, output) => (await import('./commands/local')).localUpCommand(o as LocalUpOptions, output),
  },
];
