import { sequenceExecutionName } from '../../../lib/runtime/playbook/attack-sequence/chain-sequence-containment';
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
