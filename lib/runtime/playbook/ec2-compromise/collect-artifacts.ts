import {
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  GetConsoleOutputCommand,
} from '@aws-sdk/client-ec2';
import { PreservePriorState } from '../../ec2/preserve';
import { IsolatePriorState } from '../../ec2/isolate';
import { caseEventOf, LinkedEvent, putArtifactOnce, readStoredEvent, StoredArtifact } from '../../evidence/vault';
import { caseEvidencePrefix } from '../../evidence/manifest';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import '../../clients/ec2';
import '../../clients/assume-role';

/** CollectArtifacts: finding, instance metadata, ENIs, original SGs, console output, prior state → evidence bucket. */
export async function collectArtifacts(state: PlaybookState, deps: StepDeps): Promise<{ artifacts: StoredArtifact[] }> {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const { s3 } = deps.clients.security();
  const i = state.incident;
  return runStep('CollectArtifacts', caseTarget(state, deps.ledger), async () => {
    const record = await deps.ledger.getCase(state.case.caseId);
    const prior = (record?.priorState ?? {}) as { isolate?: IsolatePriorState; preserve?: PreservePriorState };
    const priorGroups = [...new Set(Object.values(prior.isolate?.securityGroupsByEni ?? {}).flat())];
    const [instances, enis, sgs, consoleOutput] = await Promise.all([
      member.ec2.send(new DescribeInstancesCommand({ InstanceIds: [i.resource.id] })),
      member.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [i.resource.id] }] })),
      priorGroups.length
        ? member.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: priorGroups }))
        : Promise.resolve({ SecurityGroups: [] }),
      member.ec2.send(new GetConsoleOutputCommand({ InstanceId: i.resource.id })),
    ]);
    const prefix = `${caseEvidencePrefix(i.account, state.case.caseId)}artifacts/`;
    // The event, byte for byte as Normalize stored it (checked against its SHA-256 on the way): this execution's,
    // else the one that opened the case (a start on a named instance resuming it); a case with none says so.
    const event =
      state.event ??
      caseEventOf(
        (await deps.ledger.linkedEvents(state.case.caseId)) as unknown as LinkedEvent[],
        record?.incident.finding.id ?? i.finding.id,
      );
    const finding = event
      ? (await readStoredEvent(event, { s3 })).bytes.toString('utf8')
      : `${JSON.stringify({ event: null, why: 'started on a named resource: there is no event', trigger: i.trigger, operator: i.operator, reason: i.reason, resource: i.resource }, null, 2)}\n`;
    const docs: Record<string, unknown> = {
      'instance.json': instances.Reservations?.[0]?.Instances?.[0] ?? null,
      'network-interfaces.json': enis.NetworkInterfaces ?? [],
      'security-groups-before-isolation.json': sgs.SecurityGroups ?? [],
      'console-output.json': {
        instanceId: i.resource.id,
        timestamp: consoleOutput.Timestamp,
        output: consoleOutput.Output ? Buffer.from(consoleOutput.Output, 'base64').toString('utf8') : null,
      },
      'prior-state.json': prior,
    };
    const bodies: [string, string][] = [
      ['finding.json', finding],
      ...Object.entries(docs).map(([name, doc]): [string, string] => [name, `${JSON.stringify(doc, null, 2)}\n`]),
    ];
    const artifacts = await Promise.all(
      bodies.map(([name, body]) =>
        putArtifactOnce(
          { bucket: deps.config.evidenceBucket, key: prefix + name, name, body, kmsKeyId: deps.config.evidenceKeyArn },
          { s3 },
        ),
      ),
    );
    return { artifacts };
  });
}
