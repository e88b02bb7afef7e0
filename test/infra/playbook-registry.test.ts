import { Template } from 'aws-cdk-lib/assertions';
import { OPERATOR_PLAYBOOKS, PLAYBOOKS } from '../../lib/core/catalog/catalog';
import { ConfigError } from '../../lib/core/errors';
import { PLAYBOOK_REGISTRY } from '../../lib/infra/playbooks/registry';
import { RULE_STEPS, SHARED_STEPS } from '../../lib/infra/playbooks/shared';
import { NO_STEP_ACCESS } from '../../lib/infra/step-access';
import { assembleStepTables, STEP_ACCESS, STEP_NAMES } from '../../lib/infra/steps';
import { buildTestApp } from './support';

/**
 * The playbook registry (lib/infra/playbooks/registry.ts) is complete: every playbook the catalog and the operator
 * name has a line, and so a construct and a state machine; every step belongs to exactly one playbook or to the
 * shared set, and STEP_NAMES / STEP_ACCESS are exactly those steps.
 */

const registered = Object.keys(PLAYBOOK_REGISTRY).sort();

describe('the playbook registry', () => {
  it('has one line for every catalog playbook and the operator playbooks, and no other', () => {
    expect(registered).toEqual([...PLAYBOOKS, ...OPERATOR_PLAYBOOKS].sort());
  });

  it('gives every step exactly one owner: one playbook, or the shared set', () => {
    const owners = new Map<string, string[]>();
    const own = (by: string, steps: object) => {
      for (const step of Object.keys(steps)) owners.set(step, [...(owners.get(step) ?? []), by]);
    };
    own('shared', SHARED_STEPS);
    own('shared', RULE_STEPS);
    for (const [playbook, { steps }] of Object.entries(PLAYBOOK_REGISTRY)) own(playbook, steps);
    expect([...owners].filter(([, by]) => by.length !== 1)).toEqual([]);
    expect([...owners.keys()].sort()).toEqual([...STEP_NAMES].sort());
    expect(Object.keys(STEP_ACCESS).sort()).toEqual([...STEP_NAMES].sort());
  });

  it('refuses a step that two tables declare', () => {
    const assemble = () =>
      assembleStepTables([
        ['the shared steps', SHARED_STEPS],
        ['dry-run-example', { notify: NO_STEP_ACCESS }],
      ]);
    expect(assemble).toThrow(ConfigError);
    expect(assemble).toThrow(/notify is declared by both the shared steps and dry-run-example/);
  });

  it('builds a construct and a state machine <prefix>-<playbook> for every registered playbook', () => {
    const { security } = buildTestApp({ prefix: 'regtest' });
    const fb = security.firebreak;
    const names = Object.values(Template.fromStack(security).findResources('AWS::StepFunctions::StateMachine'))
      .map((r) => (r as { Properties: { StateMachineName: string } }).Properties.StateMachineName)
      .sort();
    expect(names).toEqual(registered.map((p) => `regtest-${p}`).sort());
    for (const [playbook, { constructId }] of Object.entries(PLAYBOOK_REGISTRY)) {
      const construct = fb.playbooks[playbook as keyof typeof PLAYBOOK_REGISTRY];
      expect(construct.node.id).toBe(constructId);
      expect(construct.stateMachine.node.path).toBe(`${security.stackName}/Default/${constructId}/StateMachine`);
    }
    // The named properties are the registry's constructs (API compatibility).
    expect([fb.ec2Compromise, fb.credentialCompromise, fb.cloudTrailTamper, fb.rootActivity, fb.findingTriage, fb.release]).toEqual([
      fb.playbooks['ec2-compromise'],
      fb.playbooks['credential-compromise'],
      fb.playbooks['cloudtrail-tamper'],
      fb.playbooks['root-activity'],
      fb.playbooks['finding-triage'],
      fb.playbooks.release,
    ]);
  });
});
