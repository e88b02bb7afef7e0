import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { runCli } from '../../lib/cli/program';
import { OPERATOR_PLAYBOOKS, PLAYBOOKS } from '../../lib/core/catalog/catalog';
import { Firebreak } from '../../lib/infra/firebreak';
import { stateMachineArn } from '../../lib/operator/connection';
import { SKIP_BUNDLING } from '../infra/support';

/** The operator commands' `--prefix`: it names the state machines a Firebreak install with that prefix creates. */

async function run(argv: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(argv, { out: (l) => stdout.push(l), err: (l) => stderr.push(l) });
  return { code, stdout, stderr: stderr.flatMap((l) => l.split('\n')).filter(Boolean) };
}

describe('--prefix', () => {
  it.each([
    ['cases', 'list'],
    ['status', 'fb-20261203-0123456789'],
  ])('firebreak %s with an invalid --prefix exits 2 with one line, before any AWS call', async (...args) => {
    // No credentials and no network are configured: reaching STS would fail otherwise than with this message.
    const r = await run([...args, '--prefix', 'Bad_Prefix', '--region', 'us-east-1']);
    expect(r).toMatchObject({ code: 2, stdout: [] });
    expect(r.stderr).toEqual([expect.stringMatching(/--prefix: "Bad_Prefix" is not a Firebreak name prefix/)]);
  });

  it('the state machine ARNs the CLI starts are the ones an install with that prefix synthesizes', () => {
    const app = new App({ context: { ...CURRENTLY_RECOMMENDED_FLAGS, ...SKIP_BUNDLING } });
    const fb = new Firebreak(app, 'Blue', { securityAccountId: '222222222222', memberAccountIds: ['111111111111'], prefix: 'blue' });
    const machines = Template.fromStack(fb.securityStack).findResources('AWS::StepFunctions::StateMachine');
    const names = Object.values(machines)
      .map((m) => m.Properties.StateMachineName as string)
      .sort();
    const conn = { partition: 'aws', region: 'us-east-1', securityAccount: '222222222222', prefix: 'blue' };
    const playbooks = [...PLAYBOOKS, ...OPERATOR_PLAYBOOKS].sort();
    expect(playbooks.map((p) => stateMachineArn(conn, p))).toEqual(
      names.map((n) => `arn:aws:states:us-east-1:222222222222:stateMachine:${n}`),
    );
    expect(stateMachineArn({ ...conn, prefix: undefined }, 'release')).toBe(
      'arn:aws:states:us-east-1:222222222222:stateMachine:firebreak-release',
    );
  });
});
