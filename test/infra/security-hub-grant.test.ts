import { buildTestApp, flat, functionLogicalIdOf, list, roleLogicalIdOf, roleStatements, templateOf } from './support';
import { STEP_ACCESS, STEP_NAMES } from '../../lib/infra/steps';

/** The Security Hub statements of every step's role, by step. */
function securityHubGrants(firebreak: Record<string, unknown>) {
  const t = templateOf(buildTestApp(firebreak).security);
  return Object.fromEntries(
    STEP_NAMES.map((step) => {
      const statements = roleStatements(t, roleLogicalIdOf(t, functionLogicalIdOf(t, step))).filter((s) =>
        list(s.Action).some((a) => a.startsWith('securityhub:')),
      );
      return [step, statements.map((s) => ({ actions: list(s.Action).sort(), resources: list(s.Resource).map(flat) }))];
    }).filter(([, s]) => (s as unknown[]).length > 0),
  );
}

describe('Security Hub workflow grants (config securityHubWorkflow)', () => {
  it('grants nothing of Security Hub by default (off)', () => {
    expect(securityHubGrants({})).toEqual({});
  });

  it("grants GetFindings and BatchUpdateFindings on the security account's hub to Notify and NotifyRelease only", () => {
    const hub = {
      actions: ['securityhub:BatchUpdateFindings', 'securityhub:GetFindings'],
      resources: ['arn:<AWS::Partition>:securityhub:<AWS::Region>:<AWS::AccountId>:hub/default'],
    };
    expect(securityHubGrants({ securityHubWorkflow: 'resolve-on-release' })).toEqual({ notify: [hub], 'notify-release': [hub] });
    expect(STEP_NAMES.filter((s) => STEP_ACCESS[s].updatesSecurityHubFindings)).toEqual(['notify', 'notify-release']);
  });
});
