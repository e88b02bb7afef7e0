import { approvalWords } from '../../../lib/runtime/playbook/shared/request-approval';
import type { PlaybookState } from '../../../lib/core/contracts/state';

/** A state with what approvalWords reads: the playbook and whether the case was judged. */
const stateOf = (playbook: string, judged: boolean) =>
  ({ incident: { playbook }, ...(judged ? { judgement: {} } : {}) }) as unknown as PlaybookState;

describe('approvalWords: what an approval page and card say, in the playbook terms', () => {
  it('a containment playbook: contains the resource', () => {
    expect(approvalWords(stateOf('ec2-compromise', false), 'contain', 'i-0abc in 111111111111/us-east-1')).toEqual({
      before: 'containing i-0abc in 111111111111/us-east-1',
      withoutAnswer: 'contained',
    });
    expect(approvalWords(stateOf('s3-compromise', false), 'notify')).toEqual({
      before: 'containing the resource',
      withoutAnswer: 'notify-only',
    });
  });

  it('cloudtrail-tamper: restores logging and revokes the actor, never "contained"', () => {
    const judged = approvalWords(stateOf('cloudtrail-tamper', true), 'contain');
    expect(judged).toEqual({
      before: "restoring logging and revoking the change's actor (whether the change reduces logging cannot be told)",
      withoutAnswer: 'restored (logging restarted, nobody revoked)',
    });
    expect(approvalWords(stateOf('cloudtrail-tamper', true), 'notify', 'trail').before).toMatch(/^restoring logging on trail and/);
    // Asked before the judgement (catalog approval mode): approving lets the judgement route it.
    const before = approvalWords(stateOf('cloudtrail-tamper', false), 'contain');
    expect(before.before).toMatch(/^judging the change \(a change that reduces logging: logging restored, its actor revoked\)$/);
    expect(before.withoutAnswer).toMatch(/^judged/);
    for (const words of [judged, before]) expect(JSON.stringify(words)).not.toMatch(/contain/);
  });
});
