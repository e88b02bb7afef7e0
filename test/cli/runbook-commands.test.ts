import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../lib/core/project-root';
import { parseError } from '../support/parse-cli';

/**
 * The runbooks use the CLI (issue 16, item 5): every triage step the `firebreak` CLI covers (find the case, its timeline,
 * prior state, evidence, notes, status, release) is a `firebreak` command in runbooks/**.md, never a raw `aws dynamodb`
 * read of the ledger piped through jq; what is left of `aws dynamodb` and `| jq` is listed here with why the CLI does not
 * cover it. And every `firebreak …` command the runbooks name parses with the real commander program (lib/cli/program.ts):
 * an unknown command or option, or a missing argument, fails.
 */

const RUNBOOKS = path.join(PROJECT_ROOT, 'runbooks');

/** The `aws dynamodb` calls a runbook may still make: none reads or writes a case, its timeline or its notes. */
const DYNAMODB_ALLOWED: readonly { readonly pattern: RegExp; readonly why: string }[] = [
  {
    pattern: /^aws dynamodb delete-item .*CLAIM#[\w-]+#/,
    why: 'the manual release fallback lifts the claim; the CLI lifts it only through the release playbook (firebreak release), which the fallback is for when it cannot run',
  },
  {
    pattern: /^aws dynamodb get-item .*TRAIL#.*BASELINE/,
    why: "cloudtrail-tamper's trail baseline is not a case: the CLI has no command for it",
  },
];

/** What a runbook may pipe into jq: AWS reads the CLI does not make (the event an execution ran on, CloudTrail, S3 files). */
const JQ_PRODUCERS: readonly { readonly pattern: RegExp; readonly why: string }[] = [
  { pattern: /^aws cloudtrail lookup-events /, why: 'CloudTrail event history of the principal or resource: not in the ledger' },
  {
    pattern: /^aws stepfunctions describe-execution .*--query input/,
    why: 'the event an execution ran on: the CLI shows the case, not the raw event',
  },
  { pattern: /^aws s3 cp /, why: 'an evidence file in S3 (e.g. the database snapshot chain): not in the ledger' },
];

/** Every runbook file, relative to the project root. */
function runbookFiles(dir = RUNBOOKS): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((d) => (d.isDirectory() ? runbookFiles(path.join(dir, d.name)) : d.name.endsWith('.md') ? [path.join(dir, d.name)] : []))
    .map((f) => path.relative(PROJECT_ROOT, f))
    .sort();
}

/** A line of shell from a runbook: from a fenced block, or an inline code span of the prose (a mention). */
interface ShellLine {
  readonly text: string;
  readonly inline: boolean;
}

/**
 * The shell of a markdown text: every line of its fenced blocks and every inline code span, with `\` continuations
 * joined and a line that starts or ends with `|` joined to its neighbour, so a pipeline is one line.
 */
function shellLines(markdown: string): ShellLine[] {
  const text = markdown.replace(/\r\n?/g, '\n');
  const blocks = [...text.matchAll(/^\s*(```|~~~)[^\n]*\n([\s\S]*?)^\s*\1/gm)].map((m) => m[2]);
  const prose = text.replace(/^\s*(```|~~~)[^\n]*\n[\s\S]*?^\s*\1/gm, '');
  const inline = [...prose.matchAll(/`([^`]+)`/g)].map((m) => ({ text: m[1].replace(/\s*\n\s*/g, ' ').trim(), inline: true }));
  const joined = blocks
    .join('\n')
    .replace(/\\\n\s*/g, ' ')
    .replace(/\|\s*\n\s*/g, '| ')
    .replace(/\n\s*\|/g, ' |');
  // A comment in a block (`cmd   # see firebreak approve`) is prose: a mention.
  const block = joined.split('\n').flatMap((l) => {
    const [code, ...comment] = l.split(/\s#\s/);
    return [{ text: code.trim(), inline: false }, ...(comment.length ? [{ text: comment.join(' # ').trim(), inline: true }] : [])];
  });
  return [...block, ...inline].filter((l) => l.text);
}

/** What breaks the rules in a runbook's shell lines: one message per offending line. */
function violations(lines: readonly ShellLine[]): string[] {
  const out: string[] = [];
  for (const { text: line } of lines) {
    if (/map_values\(ddb\)|\bddb=|def ddb/.test(line)) out.push(`decodes ledger items with jq: ${line}`);
    // `aws  dynamodb`, `aws --profile p --region r dynamodb`: the service after any global options, as one call.
    for (const m of line.matchAll(/\baws\s+(?:[^\s;&|]+\s+)*?dynamodb\s+([\s\S]*?)(?=;|&&|$)/g)) {
      const call = `aws dynamodb ${m[1]}`;
      if (/CASE#|\| *jq/.test(call)) out.push(`reads or writes a case with aws dynamodb (use firebreak cases show/note/list): ${line}`);
      else if (!DYNAMODB_ALLOWED.some((a) => a.pattern.test(call))) out.push(`aws dynamodb call not on the list: ${line}`);
    }
    const segments = line.split(/\s\|\s*/);
    segments.forEach((seg, i) => {
      if (i === 0 || !/^jq\b/.test(seg)) return;
      const producer = line.split(/\s*(?:;|&&|\$\(|\bdo\b)\s*/).find((part) => part.includes(seg)) ?? segments[0];
      const source = producer.split(/\s\|\s*/)[0].trim();
      if (!JQ_PRODUCERS.some((p) => p.pattern.test(source)))
        out.push(`pipes into jq from ${source.split(' ').slice(0, 3).join(' ')}: ${line}`);
    });
  }
  return out;
}

/** A valid case ID for `$CASE`, `<caseId>` and the like (lib/core/names.ts CASE_ID_PATTERN). */
const CASE_ID = 'fb-20261205-0123456789';

/** The `firebreak …` commands of a shell line, as argv after `firebreak` (placeholders filled in). */
function firebreakCommands(text: string): string[][] {
  const out: string[][] = [];
  // Placeholders first (`<caseId>`, `<actor role name>`): their `>` is not a redirection.
  const line = text.replace(/<caseId(\|executionArn)?>/g, CASE_ID).replace(/<[^<>]*>/g, 'x');
  for (const m of line.matchAll(/(?:^|[\s;&|(`])(?:\.\/)?firebreak (?=[a-z])([^|;&>#`)]*)/g)) {
    // Unquoted `...` / `…` stand for "and so on"; a quoted "..." is a value.
    const words = [...m[1].matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].filter((w) => !/^(\.\.\.|…)$/.test(w[3] ?? ''));
    out.push(words.map((w) => fillPlaceholder(w[1] ?? w[2] ?? w[3])));
  }
  return out;
}

function fillPlaceholder(word: string): string {
  if (/^\[.*\]$/.test(word)) return word.slice(1, -1).split(' ')[0]; // usage syntax: [--wait]
  if (/^(\$\{?CASE\}?|<caseId>|fb-YYYYMMDD-x+)$/.test(word)) return CASE_ID;
  return word.replace(/\$\{?[A-Za-z_0-9]+\}?/g, 'x') || 'x';
}

describe('the runbooks use the firebreak CLI for what it covers', () => {
  const files = runbookFiles();
  const lines = new Map(files.map((f) => [f, shellLines(fs.readFileSync(path.join(PROJECT_ROOT, f), 'utf8'))]));

  it('no runbook reads or writes a case with aws dynamodb or decodes the ledger with jq', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(files.flatMap((f) => violations(lines.get(f)!).map((v) => `${f}: ${v}`))).toEqual([]);
  });

  it('the check fails on the ledger queries the runbooks used to open with', () => {
    const old = shellLines(
      [
        '```bash',
        `ddb='def ddb: (to_entries[0]) as $e | $e.value;'`,
        'aws dynamodb get-item --profile "$SEC" --table-name "$TABLE" --consistent-read \\',
        '  --key "{\\"pk\\":{\\"S\\":\\"CASE#$CASE\\"},\\"sk\\":{\\"S\\":\\"CASE\\"}}" | jq "$ddb .Item | map_values(ddb)" > case.json',
        'aws dynamodb query --profile "$SEC" --table-name "$TABLE" --key-condition-expression \'pk = :pk\' \\',
        '  --expression-attribute-values "{\\":pk\\":{\\"S\\":\\"CASE#$CASE\\"}}" --output text',
        'aws dynamodb scan --table-name "$TABLE"',
        'aws iam list-access-keys --user-name x | jq .AccessKeyMetadata',
        '```',
      ].join('\n'),
    );
    const found = violations(old);
    expect(found).toEqual([
      expect.stringMatching(/^decodes ledger items with jq/),
      expect.stringMatching(/^decodes ledger items with jq/),
      expect.stringMatching(/^reads or writes a case with aws dynamodb/),
      expect.stringMatching(/^pipes into jq from aws dynamodb get-item/),
      expect.stringMatching(/^reads or writes a case with aws dynamodb/),
      expect.stringMatching(/^aws dynamodb call not on the list/),
      expect.stringMatching(/^pipes into jq from aws iam list-access-keys/),
    ]);
  });

  it('the check is not bypassed by spacing, global options, line continuations, CRLF or a ~~~ fence', () => {
    const key = '--key "{\\"pk\\":{\\"S\\":\\"CASE#$CASE\\"}}"';
    const bypasses = [
      `aws  dynamodb get-item --table-name "$TABLE" ${key}`,
      `aws\tdynamodb get-item --table-name "$TABLE" ${key}`,
      `aws --region us-east-1 --profile "$SEC" dynamodb get-item --table-name "$TABLE" ${key}`,
      `aws --no-cli-pager dynamodb scan --table-name "$TABLE" | jq .Items`,
      `aws \\\n  dynamodb get-item --table-name "$TABLE" ${key}`,
      `aws --profile "$SEC" \\\r\n  dynamodb scan --table-name "$TABLE"\r`,
    ];
    for (const b of bypasses)
      expect([b, violations(shellLines(`\`\`\`bash\n${b}\n\`\`\`\n`))]).toEqual([b, expect.arrayContaining([expect.any(String)])]);
    expect(violations(shellLines('~~~sh\naws dynamodb scan --table-name "$TABLE"\n~~~\n'))).toEqual([
      expect.stringMatching(/^aws dynamodb call not on the list/),
    ]);
  });

  it('triage in the playbook runbooks is firebreak cases show / note, and what is left of aws dynamodb is on the list', () => {
    for (const f of ['ec2-compromise', 'credential-compromise', 'cloudtrail-tamper', 'root-activity'].map(
      (p) => `runbooks/${p}/runbook.md`,
    )) {
      const cmds = lines
        .get(f)!
        .flatMap((l) => firebreakCommands(l.text))
        .map((c) => c.slice(0, 2).join(' '));
      expect([f, cmds]).toEqual([f, expect.arrayContaining(['cases show', 'cases note'])]);
    }
    const dynamo = [...lines.values()]
      .flat()
      .map((l) => l.text)
      .filter((l) => l.includes('aws dynamodb'));
    for (const l of dynamo) expect(DYNAMODB_ALLOWED.filter((a) => a.pattern.test(l.slice(l.indexOf('aws dynamodb'))))).toHaveLength(1);
  });

  it('every firebreak command the runbooks name parses with the real program', async () => {
    const commands = files.flatMap((f) => lines.get(f)!.flatMap((l) => firebreakCommands(l.text).map((argv) => ({ f, argv, l }))));
    expect(commands.length).toBeGreaterThan(40);
    const failed: string[] = [];
    for (const { f, argv, l } of commands) {
      const err = await parseError(argv);
      // A mention in prose (`firebreak approve`, `firebreak run --access-key`) names a command or an option: it must
      // exist, but need not carry its arguments. A command in a block is run as written.
      if (err && !(l.inline && /missing required argument|argument missing/.test(err)))
        failed.push(`${f}: firebreak ${argv.join(' ')}: ${err}`);
    }
    expect(failed).toEqual([]);
  });

  it('the parse check refuses an unknown command, an unknown option and a missing argument', async () => {
    expect(await parseError(['cases', 'show', CASE_ID, '--profile', 'sec'])).toBeUndefined();
    expect(await parseError(['cases', 'list', '--resource', 'i-0123', '--open'])).toBeUndefined();
    expect(await parseError(['cases', 'frobnicate', CASE_ID])).toMatch(/unknown command/);
    expect(await parseError(['cases', 'show', CASE_ID, '--no-such-option'])).toMatch(/unknown option/);
    expect(await parseError(['cases', 'note', CASE_ID])).toMatch(/missing required argument/);
    expect(firebreakCommands('note() { firebreak cases note "$CASE" "$1" --profile "$SEC"; }')).toEqual([
      ['cases', 'note', CASE_ID, 'x', '--profile', 'x'],
    ]);
  });
});
