import { cli } from '../support/cli';
import { renderRules } from '../../lib/cli/commands/suppress';
import { renderCaseList } from '../../lib/cli/render';

/**
 * `firebreak suppress` input handling: a bad rule is refused with one line naming the field and exit 2, before any AWS
 * call (the endpoint given answers nothing: a call would fail with exit 1). The commands against a local stack are
 * exercised by test/playbook/suppression.test.ts.
 */
const NOWHERE = ['--endpoint', 'http://127.0.0.1:9'];
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

describe('firebreak suppress: input refused before any AWS call', () => {
  it.each([
    ['no criterion', ['--account', '111111111111', '--expires', inDays(1), '--reason', 'r'], /at least a finding type/],
    ['no expiry', ['--type', 'Recon:EC2/*', '--reason', 'r'], /expiresAt/],
    ['an expiry past the bound', ['--type', 'Recon:EC2/*', '--expires', inDays(91), '--reason', 'r'], /expiresAt: at most 90 days/],
    ['an expiry in the past', ['--type', 'Recon:EC2/*', '--expires', '2020-01-01T00:00:00Z', '--reason', 'r'], /not in the future/],
    ['a local time', ['--type', 'Recon:EC2/*', '--expires', '2030-01-01T00:00:00+01:00', '--reason', 'r'], /expiresAt/],
    ['no reason', ['--type', 'Recon:EC2/*', '--expires', inDays(1)], /reason/],
    ['an escape sequence in the reason', ['--type', 'Recon:EC2/*', '--expires', inDays(1), '--reason', 'ok\u001b[2Jgone'], /reason/],
    ['a bidi control in the resource', ['--resource', 'i-0\u202e1', '--expires', inDays(1), '--reason', 'r'], /resource/],
    ['a * inside the type', ['--type', 'Recon:*/Port', '--expires', inDays(1), '--reason', 'r'], /findingType/],
  ])('add: %s', async (_, args, message) => {
    const r = await cli(['suppress', 'add', ...args, ...NOWHERE]);
    expect(r.code).toBe(2);
    expect(r.stdout).toEqual([]);
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]).toMatch(message);
  });

  it('remove: a malformed rule ID or a missing reason', async () => {
    const bad = await cli(['suppress', 'remove', 'sr-XYZ', '--reason', 'r', ...NOWHERE]);
    expect(bad).toMatchObject({ code: 2, stdout: [] });
    expect(bad.stderr[0]).toMatch(/not a suppression rule ID/);
    const noReason = await cli(['suppress', 'remove', 'sr-0123456789ab', ...NOWHERE]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr[0]).toMatch(/reason/);
  });
});

describe('rendering of rules and quiet cases', () => {
  it('lists each rule with its state, its criteria, who added and removed it and why', () => {
    const lines = renderRules([
      {
        id: 'sr-0123456789ab',
        state: 'removed',
        findingType: 'Recon:EC2/*',
        account: '111111111111',
        expiresAt: '2030-01-01T00:00:00Z',
        reason: 'scanner',
        createdBy: 'arn:aws:iam::222222222222:user/a',
        createdAt: '2029-12-01T00:00:00.000Z',
        removed: { by: 'arn:aws:iam::222222222222:user/b', at: '2029-12-02T00:00:00.000Z', reason: 'fixed' },
      },
    ]);
    expect(lines).toEqual([
      'sr-0123456789ab  REMOVED  until 2030-01-01T00:00:00Z  type Recon:EC2/*, account 111111111111',
      '    added by arn:aws:iam::222222222222:user/a at 2029-12-01T00:00:00.000Z: scanner',
      '    removed by arn:aws:iam::222222222222:user/b at 2029-12-02T00:00:00.000Z: fixed',
    ]);
    expect(renderRules([])).toEqual(['no suppression rules']);
  });

  it('labels shadow and suppressed cases in the default case list and counts them', () => {
    const c = (caseId: string, status: string) => ({
      caseId,
      status,
      playbook: 'ec2-compromise',
      account: '111111111111',
      region: 'us-east-1',
      resourceId: 'i-1',
      createdAt: '2030-01-01T00:00:00.000Z',
      updatedAt: '2030-01-01T00:00:00.000Z',
    });
    const lines = renderCaseList([c('fb-1', 'SHADOW'), c('fb-2', 'SUPPRESSED'), c('fb-3', 'CONTAINED'), c('fb-4', 'SHADOW')]);
    expect(lines[1]).toMatch(/^fb-1 +SHADOW /);
    expect(lines.at(-1)).toBe('(2 SHADOW, 1 SUPPRESSED: recorded, nothing changed, nobody notified; see --shadow, --suppressed)');
    expect(renderCaseList([c('fb-3', 'CONTAINED')])).toHaveLength(2);
  });
});
