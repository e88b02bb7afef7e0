import { Template } from 'aws-cdk-lib/assertions';
import { PLAYBOOKS } from '../../lib/core/catalog/catalog';
import { catalogRules } from '../../lib/core/catalog/patterns';
import { CATALOG } from '../../lib/core/catalog/catalog';
import { BUFFER_BATCH_SIZE, BUFFER_MAX_CONCURRENCY, BUFFER_MAX_RECEIVES, BUFFER_STARTER_TIMEOUT_SECONDS } from '../../lib/core/buffer';
import {
  allowedActions,
  buildTestApp,
  flat,
  functionLogicalIdOf,
  list,
  roleLogicalIdOf,
  roleStatements,
  stateMachineLogicalIdOf,
  templateOf,
} from './support';

/**
 * Issue 13, backpressure: every catalog rule puts its findings on one SQS queue (encrypted, TLS only, a DLQ with an
 * alarm), drained by the `start-playbook` step through an event-source mapping with the figures of lib/core/buffer.ts.
 */
/** The synthesized template's JSON, as the assertions read it back (untyped, as Template.toJSON gives it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type CfnJson = any;

describe('the finding buffer', () => {
  let template: Template;
  let resources: Record<string, { Type: string; Properties: CfnJson }>;
  beforeAll(() => {
    template = templateOf(buildTestApp().security);
    resources = template.toJSON().Resources;
  });
  const queueId = () =>
    Object.entries(resources).find(([, r]) => r.Type === 'AWS::SQS::Queue' && r.Properties.QueueName === 'firebreak-finding-buffer')![0];

  it('is an SQS-encrypted, TLS-only queue whose messages go to an alarmed DLQ after the receives the figures allow', () => {
    const queue = resources[queueId()].Properties;
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.VisibilityTimeout).toBe(6 * BUFFER_STARTER_TIMEOUT_SECONDS);
    expect(queue.RedrivePolicy.maxReceiveCount).toBe(BUFFER_MAX_RECEIVES);
    const dlqId = queue.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0];
    expect(resources[dlqId].Properties).toMatchObject({ QueueName: 'firebreak-finding-buffer-dlq', SqsManagedSseEnabled: true });
    for (const id of [queueId(), dlqId]) {
      const policy = Object.values(resources).find(
        (r) => r.Type === 'AWS::SQS::QueuePolicy' && JSON.stringify(r.Properties.Queues) === JSON.stringify([{ Ref: id }]),
      )!;
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      );
    }
    const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    const alarm = Object.values(resources).find(
      (r) => r.Type === 'AWS::CloudWatch::Alarm' && JSON.stringify(r.Properties.Dimensions ?? []).includes(dlqId),
    )!;
    expect(alarm.Properties).toMatchObject({ AlarmActions: [{ Ref: topicId }], Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('lets EventBridge send to it only for the catalog rules (aws:SourceArn), each of which targets it', () => {
    const policy = Object.values(resources).find(
      (r) => r.Type === 'AWS::SQS::QueuePolicy' && JSON.stringify(r.Properties.Queues) === JSON.stringify([{ Ref: queueId() }]),
    )!;
    const sends = (
      policy.Properties.PolicyDocument.Statement as {
        Effect: string;
        Principal?: unknown;
        Condition?: { ArnEquals: { 'aws:SourceArn': unknown } };
      }[]
    ).filter((st) => st.Effect === 'Allow');
    expect(
      sends.every(
        (st) =>
          flat(st.Principal) === JSON.stringify({ Service: 'events.amazonaws.com' }) || flat(st.Principal).includes('events.amazonaws.com'),
      ),
    ).toBe(true);
    // One statement for every catalog rule: an SQS policy holds at most 20 statements ("Amazon SQS policy quotas").
    expect(sends).toHaveLength(1);
    const sources = list(sends[0].Condition?.ArnEquals['aws:SourceArn'])
      .map((a: CfnJson) => flat(a))
      .sort();
    const rules = Object.entries(resources).filter(
      ([, r]) => r.Type === 'AWS::Events::Rule' && list(r.Properties.Targets).some((t: CfnJson) => flat(t.Arn).includes(queueId())),
    );
    expect(rules).toHaveLength(catalogRules(CATALOG).length);
    expect(sources).toEqual(rules.map(([id]) => `<${id}.Arn>`).sort());
  });

  it('is drained by start-playbook with the batch size, maximum concurrency and batch item failures of the figures', () => {
    const mappings = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    expect(mappings[0].Properties).toEqual({
      BatchSize: BUFFER_BATCH_SIZE,
      EventSourceArn: { 'Fn::GetAtt': [queueId(), 'Arn'] },
      FunctionName: { Ref: functionLogicalIdOf(template, 'start-playbook') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: BUFFER_MAX_CONCURRENCY },
    });
    expect(resources[functionLogicalIdOf(template, 'start-playbook')].Properties.Timeout).toBe(BUFFER_STARTER_TIMEOUT_SECONDS);
  });

  it("gives the starter the queue, the ledger, StartExecution on the catalog's playbooks only, and nothing in member accounts", () => {
    const role = roleLogicalIdOf(template, functionLogicalIdOf(template, 'start-playbook'));
    const statements = roleStatements(template, role);
    const start = statements.filter((st) => list(st.Action).includes('states:StartExecution'));
    expect(start).toHaveLength(1);
    expect(list(start[0].Resource).map(flat).sort()).toEqual(
      PLAYBOOKS.map((p) => `<${stateMachineLogicalIdOf(template, `firebreak-${p}`)}>`).sort(),
    );
    const sqs = statements.filter((st) => list(st.Action).some((a) => a.startsWith('sqs:')));
    expect(sqs.map((st) => flat(st.Resource))).toEqual([`<${queueId()}.Arn>`]);
    const actions = [...allowedActions(template, role)];
    expect(actions.filter((a) => a.startsWith('sts:') || a.startsWith('ec2:') || a.startsWith('iam:'))).toEqual([]);
    expect(actions.filter((a) => a === 'states:StartExecution' || a.startsWith('sqs:')).sort()).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
      'states:StartExecution',
    ]);
  });
});
