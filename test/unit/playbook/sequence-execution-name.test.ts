import { chainReason, sequenceExecutionName } from '../../../lib/runtime/playbook/attack-sequence/chain-sequence-containment';
import type { SequenceRoute } from '../../../lib/core/incident/sequence-summary';

const role = (roleName: string): SequenceRoute => ({
  uid: 'AKIAIOSFODNN7EXAMPLE',
  resourceType: 'ACCESS_KEY',
  account: '111122223333',
  region: 'us-east-1',
  playbook: 'credential-compromise',
  target: { kind: 'role', roleName, account: '111122223333', region: 'us-east-1' },
  why: 'test',
});

describe('sequenceExecutionName', () => {
  const caseId = 'fb-20261204-0123456789';

  it('names two roles whose names differ only in characters Step Functions refuses differently', () => {
    // IAM role names allow +=,.@ ("IAM identifiers", IAM User Guide); an execution name only [A-Za-z0-9_-]. A shared name
    // would make the second StartExecution ExecutionAlreadyExists, read as "already started": one role never contained.
    const names = ['web.app', 'web-app', 'web@app', 'web+app', 'web=app', 'web,app', 'web_app'].map((n) =>
      sequenceExecutionName(caseId, role(n)),
    );
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it('keeps the readable name when nothing is replaced but the slash of role/', () => {
    expect(sequenceExecutionName(caseId, role('web-app'))).toBe(`seq-${caseId}-111122223333-role-web-app`);
  });
});

describe('chainReason', () => {
  it('fits the start envelope (1,024 characters) whatever the finding gives, and is the same on every call', async () => {
    const { StartEnvelopeSchema } = await import('../../../lib/core/incident/schema');
    const { parseOrThrow } = await import('../../../lib/core/contracts/parse');
    const long = chainReason('fb-20261204-0123456789', 'u'.repeat(256), `AttackSequence:IAM/${'X'.repeat(1000)}`, 'role/web-app');
    expect(long).toHaveLength(1024);
    expect(long.endsWith('…')).toBe(true);
    expect(chainReason('fb-20261204-0123456789', 'u'.repeat(256), `AttackSequence:IAM/${'X'.repeat(1000)}`, 'role/web-app')).toBe(long);
    const envelope = {
      firebreak: { reason: long, target: { kind: 'role', roleName: 'web-app', account: '111122223333', region: 'us-east-1' } },
    };
    expect(() => parseOrThrow(StartEnvelopeSchema, envelope, 'start envelope')).not.toThrow();
    expect(() =>
      parseOrThrow(StartEnvelopeSchema, { firebreak: { ...envelope.firebreak, reason: `${long}x` } }, 'start envelope'),
    ).toThrow();
    expect(chainReason('fb-1', 'abc', 'AttackSequence:IAM/CompromisedCredentials', 'role/r')).toBe(
      'chained from case fb-1: attack sequence abc (AttackSequence:IAM/CompromisedCredentials) names role/r',
    );
  });
});
