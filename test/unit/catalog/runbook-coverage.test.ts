import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { OPERATOR_PLAYBOOKS, OperatorPlaybook, PLAYBOOKS, Playbook, catalogPlaybooks } from '../../../lib/core/catalog/catalog';
import { readDrill } from '../../../lib/harness/gameday/drill';

/**
 * Catalog and runbooks agree (DESIGN.md §2, issue 3): every playbook has `runbooks/<playbook>/runbook.md`
 * and `drill.yaml`; every folder under `runbooks/` is a playbook; every drill is valid and names its
 * own folder; every runbook names the states the engineer on call will meet in the case timeline.
 * Operator playbooks (`release`, started by hand on a case, never by a rule) have a runbook and no
 * drill: drills inject events.
 */

const ROOT = path.resolve(__dirname, '..', '..', '..');
const RUNBOOKS = path.join(ROOT, 'runbooks');
const REQUIRED_FILES = ['runbook.md', 'drill.yaml'] as const;

/** The states every playbook starts with (DESIGN.md §3). */
const COMMON_STATES = ['Normalize', 'Claim', 'Decide'] as const;

/**
 * The states each runbook must name. Typed by {@link Playbook}, so adding a playbook to `PLAYBOOKS`
 * does not compile until its key states are listed here.
 */
const KEY_STATES: Record<Playbook | OperatorPlaybook, readonly string[]> = {
  // Triage (Normalize and Decide in one step) claims in Contain; other decisions go through Claim (issue 13).
  'ec2-compromise': ['Triage', 'Claim', 'Contain', 'ResealIsolation', 'WriteManifest'],
  'credential-compromise': [...COMMON_STATES, 'RevokeCredentials', 'VerifyRevocation'],
  'cloudtrail-tamper': [...COMMON_STATES, 'JudgeTrailChange', 'RestoreLogging', 'RevokeActor', 'VerifyTamperResponse'],
  'root-activity': [...COMMON_STATES, 'NotifyOnly', 'CloseNotified'],
  'finding-triage': [...COMMON_STATES, 'NotifyOnly', 'CloseNotified'],
  's3-compromise': [...COMMON_STATES, 'PreserveBucket', 'ContainBucket', 'VerifyBucketContainment'],
  'attack-sequence': [...COMMON_STATES, 'ChainSequenceContainment', 'NotifyOnly', 'PlanDryRun'],
  'lambda-compromise': [...COMMON_STATES, 'PreserveFunction', 'ContainFunction', 'VerifyFunctionContainment'],
  'ecs-task-compromise': [...COMMON_STATES, 'RequestApproval', 'PreserveTask', 'StopTask', 'VerifyTaskStopped'],
  'rds-compromise': [...COMMON_STATES, 'PreserveDatabase', 'ContainDatabase', 'VerifyDatabaseContainment'],
  // No Normalize/Claim/Decide: release starts from a case, not an event.
  release: [
    'LoadCase',
    'ReleaseInstance',
    'ReleaseCredentials',
    'ReleaseBucket',
    'ReleaseFunction',
    'ReleaseDatabase',
    'VerifyRelease',
    'CloseRelease',
    'NotifyRelease',
    'RecordFailure',
  ],
};

/** Every playbook that needs a runbook: the declared ones, the ones the catalog routes to, and the operator playbooks. */
const ALL_PLAYBOOKS: readonly string[] = [...new Set<string>([...PLAYBOOKS, ...catalogPlaybooks(), ...OPERATOR_PLAYBOOKS])];
/** The playbooks that have no drill (started by hand on a case; drills inject events). */
const WITHOUT_DRILL: readonly string[] = OPERATOR_PLAYBOOKS;

/** The folder of the finding-type runbooks (one file per family, test/unit/catalog/finding-types.test.ts): not a playbook. */
const FINDINGS_FOLDER = 'findings';

/** The sub-folders of a runbooks folder (files such as README.md, hidden entries and `findings/` are not playbook runbooks). */
function runbookFolders(runbooksDir: string): string[] {
  return fs
    .readdirSync(runbooksDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== FINDINGS_FOLDER)
    .map((e) => e.name)
    .sort();
}

/**
 * Compares a runbooks folder with a list of playbooks.
 * @param withoutDrill - playbooks that need only `runbook.md`.
 * @returns one line per problem: a playbook without a non-empty `runbook.md` or `drill.yaml`, or a folder
 * that names no playbook. Empty when they agree.
 */
function coverageProblems(runbooksDir: string, playbooks: readonly string[], withoutDrill: readonly string[] = []): string[] {
  const problems: string[] = [];
  for (const playbook of playbooks) {
    for (const file of REQUIRED_FILES.filter((f) => f !== 'drill.yaml' || !withoutDrill.includes(playbook))) {
      const p = path.join(runbooksDir, playbook, file);
      if (!fs.existsSync(p) || !fs.statSync(p).isFile() || fs.statSync(p).size === 0) {
        problems.push(`playbook ${playbook} has no runbooks/${playbook}/${file}`);
      }
    }
  }
  for (const folder of runbookFolders(runbooksDir)) {
    if (!playbooks.includes(folder)) problems.push(`runbooks/${folder}/ names no playbook (playbooks: ${playbooks.join(', ')})`);
  }
  return problems;
}

/** True when `text` contains `word` as a whole word. */
function mentions(text: string, word: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_-])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9_-])`).test(text);
}

describe('runbook coverage', () => {
  describe('the coverage check itself', () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'firebreak-runbooks-'));
      const write = (rel: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
      };
      write('complete/runbook.md', '# Runbook: complete\n');
      write('complete/drill.yaml', 'name: complete\n');
      write('no-drill/runbook.md', '# Runbook: no-drill\n');
      write('empty-runbook/runbook.md', '');
      write('empty-runbook/drill.yaml', 'name: empty-runbook\n');
      write('retired-playbook/runbook.md', '# Runbook: retired-playbook\n');
      write('README.md', '# Runbooks\n');
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('reports a playbook without a runbook or a drill, and a folder that names no playbook', () => {
      expect(coverageProblems(dir, ['complete', 'no-drill', 'empty-runbook', 'never-written'])).toEqual([
        'playbook no-drill has no runbooks/no-drill/drill.yaml',
        'playbook empty-runbook has no runbooks/empty-runbook/runbook.md',
        'playbook never-written has no runbooks/never-written/runbook.md',
        'playbook never-written has no runbooks/never-written/drill.yaml',
        'runbooks/retired-playbook/ names no playbook (playbooks: complete, no-drill, empty-runbook, never-written)',
      ]);
    });

    it('needs only runbook.md of a playbook without a drill', () => {
      expect(
        coverageProblems(dir, ['complete', 'no-drill', 'empty-runbook', 'retired-playbook'], ['no-drill', 'retired-playbook']),
      ).toEqual(['playbook empty-runbook has no runbooks/empty-runbook/runbook.md']);
    });

    it('ignores files such as README.md', () => {
      expect(coverageProblems(dir, ['complete', 'no-drill', 'empty-runbook', 'retired-playbook']).join('\n')).not.toMatch(/README/);
    });
  });

  it('every catalog playbook has runbook.md and drill.yaml, every operator playbook runbook.md, and every runbooks/ folder is one of them', () => {
    expect(coverageProblems(RUNBOOKS, ALL_PLAYBOOKS, WITHOUT_DRILL)).toEqual([]);
    expect(coverageProblems(RUNBOOKS, [...PLAYBOOKS, ...OPERATOR_PLAYBOOKS], WITHOUT_DRILL)).toEqual([]);
  });

  it('the catalog routes to every playbook of PLAYBOOKS, and to no operator playbook', () => {
    expect([...catalogPlaybooks()].sort()).toEqual([...PLAYBOOKS].sort());
    for (const p of OPERATOR_PLAYBOOKS) {
      expect([p, catalogPlaybooks().includes(p), (PLAYBOOKS as readonly string[]).includes(p)]).toEqual([p, false, false]);
    }
  });

  describe.each(runbookFolders(RUNBOOKS))('runbooks/%s', (folder) => {
    if (!WITHOUT_DRILL.includes(folder)) {
      it('has a drill.yaml that readDrill accepts, for the runbook of its own folder', () => {
        const { drill } = readDrill(path.join(RUNBOOKS, folder, 'drill.yaml'));
        expect(drill.runbook).toBe(folder);
      });
    }

    it('has a runbook.md titled with its playbook that names its key states', () => {
      const file = path.join(RUNBOOKS, folder, 'runbook.md');
      const text = fs.readFileSync(file, 'utf8');
      expect(text.split('\n')[0]).toBe(`# Runbook: ${folder}`);
      const states = (KEY_STATES as Record<string, readonly string[] | undefined>)[folder] ?? COMMON_STATES;
      expect(states.filter((s) => !mentions(text, s))).toEqual([]);
    });
  });

  describe.each(runbookFolders(RUNBOOKS))('runbooks/%s acting by hand', (folder) => {
    it('gives the exact CLI commands, each one a command the CLI has', async () => {
      const text = fs.readFileSync(path.join(RUNBOOKS, folder, 'runbook.md'), 'utf8');
      const commands = [...text.matchAll(/(?:\.\/)?firebreak ([a-z]+(?: (?:list|show))?)\b/g)].map((m) => m[1]);
      expect(commands).toEqual(expect.arrayContaining(['cases show', 'status']));
      const { runCli } = await import('../../../lib/cli/program');
      for (const command of new Set(commands)) {
        const out: string[] = [];
        const code = await runCli([...command.split(' '), '--help'], { out: (l) => out.push(l), err: (l) => out.push(l) });
        expect([command, code, out.join('\n')]).toEqual([command, 0, expect.stringMatching(/^Usage: firebreak /)]);
      }
    });
  });

  it('runbooks/README.md links every runbook', () => {
    const readme = fs.readFileSync(path.join(RUNBOOKS, 'README.md'), 'utf8');
    expect(ALL_PLAYBOOKS.filter((p) => !readme.includes(`(${p}/runbook.md)`))).toEqual([]);
  });
});
