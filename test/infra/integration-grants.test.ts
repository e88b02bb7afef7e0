import type { Template } from 'aws-cdk-lib/assertions';
import { buildTestApp, flat, functionLogicalIdOf, list, roleLogicalIdOf, roleStatements, templateOf } from './support';
import { STEP_ACCESS, STEP_NAMES } from '../../lib/infra/steps';

/** The default configuration's template, synthesized once for the file. */
let defaultTemplate: Template | undefined;
const templateFor = (firebreak: Record<string, unknown>): Template =>
  Object.keys(firebreak).length === 0
    ? (defaultTemplate ??= templateOf(buildTestApp({}).security))
    : templateOf(buildTestApp(firebreak).security);

/** The Security Hub statements of every step's role, by step. */
function securityHubGrants(firebreak: Record<string, unknown>) {
  const t = templateFor(firebreak);
  return Object.fromEntries(
    STEP_NAMES.map((step) => {
      const statements = roleStatements(t, roleLogicalIdOf(t, functionLogicalIdOf(t, step))).filter((s) =>
        list(s.Action).some((a) => a.startsWith('securityhub:')),
      );
      return [step, statements.map((s) => ({ actions: list(s.Action).sort(), resources: list(s.Resource).map(flat) }))];
    }).filter(([, s]) => (s as unknown[]).length > 0),
  );
}

describe('integration grants: Security Hub workflow (config securityHubWorkflow) and the Firebreak Case events', () => {
  it('grants nothing of Security Hub by default (off)', () => {
    expect(securityHubGrants({})).toEqual({});
  });

  it("grants GetFindings and BatchUpdateFindings on the security account's hub to Notify, RequestApproval and NotifyRelease only", () => {
    const hub = {
      actions: ['securityhub:BatchUpdateFindings', 'securityhub:GetFindings'],
      resources: ['arn:<AWS::Partition>:securityhub:<AWS::Region>:<AWS::AccountId>:hub/default'],
    };
    expect(securityHubGrants({ securityHubWorkflow: 'resolve-on-release' })).toEqual({
      notify: [hub],
      'request-approval': [hub],
      'notify-release': [hub],
    });
    expect(STEP_NAMES.filter((s) => STEP_ACCESS[s].updatesSecurityHubFindings)).toEqual(['notify', 'request-approval', 'notify-release']);
  });

  it("lets the four paging steps put Firebreak Case events on Firebreak's bus only, with that source and detail type only", () => {
    const t = templateFor({});
    const grants = Object.fromEntries(
      STEP_NAMES.map((step) => [
        step,
        roleStatements(t, roleLogicalIdOf(t, functionLogicalIdOf(t, step)))
          .filter((s) => list(s.Action).includes('events:PutEvents'))
          .map((s) => ({ resources: list(s.Resource).map(flat), condition: s.Condition })),
      ]),
    );
    const withGrant = Object.entries(grants).filter(([, g]) => g.length > 0);
    expect(withGrant.map(([step]) => step).sort()).toEqual(['notify', 'notify-release', 'record-failure', 'request-approval']);
    for (const [, g] of withGrant) {
      expect(g).toEqual([
        {
          resources: ['<BusEA82B648.Arn>'],
          condition: { 'ForAllValues:StringEquals': { 'events:source': ['firebreak'], 'events:detail-type': ['Firebreak Case'] } },
        },
      ]);
    }
  });
});
