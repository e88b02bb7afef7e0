import {
  admitsFindingType,
  admitsNodeInstance,
  admitsResourceType,
  CATALOG,
  CONTAINER_RESOURCE_TYPES,
  Playbook,
  TRIAGE_PLAYBOOK,
} from './catalog';
import {
  FINDING_FAMILIES,
  FINDING_TYPES_RETRIEVED,
  FindingFamily,
  FindingTypeEntry,
  findingTypeEntry,
  runbookEntry,
} from './finding-types';

/**
 * What Firebreak makes of a GuardDuty finding: which playbook hosts it (by the resource GuardDuty names),
 * and whether the finding shows that resource compromised, so that the playbook may contain it. The
 * finding-type table (`finding-types.ts`) decides; `service.resourceRole` counts only for the types
 * whose AWS page gives it a meaning (brute force: the instance is the attacker when ACTOR, the victim
 * when TARGET). Severity and the deployment's mode decide the rest (the catalog's bands).
 */

/**
 * The playbook a finding on a resource type goes to: the catalog's GuardDuty entry that routes the
 * `detail.resource.resourceType` and, for the entries that filter on it, the finding type (Instance →
 * ec2-compromise, AccessKey → credential-compromise but the `Policy:S3/` types → s3-compromise, S3Bucket →
 * s3-compromise), else {@link TRIAGE_PLAYBOOK}, which opens a case and contains nothing.
 * @param resourceType - `detail.resource.resourceType`.
 * @param type - `detail.type`; without it, the entries without a finding-type filter and those whose filter admits
 *   every type but a prefix (`notPrefix`).
 * @param nodeInstance - whether the finding carries `resource.instanceDetails.instanceId` (a pod or task on a node AWS
 *   names goes to ec2-compromise, CONTAINER_RESOURCE_TYPES). @default false
 */
export function hostPlaybook(resourceType: string, type?: string, nodeInstance = false): Playbook {
  const entry = CATALOG.find(
    (e) =>
      e.kind === 'guardduty-finding' &&
      e.playbook !== TRIAGE_PLAYBOOK &&
      admitsResourceType(e.resourceTypes, resourceType) &&
      admitsFindingType(e.findingTypes, type) &&
      admitsNodeInstance(e.nodeInstance, nodeInstance),
  );
  return entry?.playbook ?? TRIAGE_PLAYBOOK;
}

/** The fields of a finding the assessment reads. */
export interface AssessmentInput {
  /** `detail.type`. */
  readonly type: string;
  /** `detail.resource.resourceType`. */
  readonly resourceType: string;
  /** `detail.service.resourceRole`; absent on Runtime Monitoring and Malware Protection for S3 findings. */
  readonly resourceRole?: string;
  /** Whether `detail.resource.instanceDetails.instanceId` is present (a container finding that names its node). @default false */
  readonly nodeInstance?: boolean;
}

/** The assessment of a finding (it travels on the incident as `triage`). */
export interface FindingAssessment {
  /** The type's family in the table, or `unknown` for a type that was not on AWS's list when the table was taken. */
  readonly family: FindingFamily | 'unknown';
  /** The playbook that hosts the finding (by its resource). */
  readonly playbook: Playbook;
  /** The finding shows its resource compromised and a playbook can contain that resource. */
  readonly containable: boolean;
  /** The resource is the victim or merely exposed (never contained, whatever the severity). */
  readonly victim: boolean;
  /** Why, in one sentence for the case and the notification. */
  readonly why: string;
  /** The runbook entry: `runbooks/findings/<family>.md#<anchor>`. */
  readonly runbook: string;
}

const RESOURCE_WORDS: Readonly<Record<string, string>> = {
  Instance: 'instance',
  AccessKey: 'credential',
  S3Bucket: 'bucket',
  Lambda: 'function',
  ECSCluster: 'task',
  RDSDBInstance: 'database',
  RDSLimitlessDB: 'database',
};

/**
 * Assesses a finding against the table.
 * @param finding - type, resource type and resource role.
 * @returns the assessment; never throws (an unknown type or resource type is a case, not an error).
 */
export function assessFinding(finding: AssessmentInput): FindingAssessment {
  const { type, resourceRole } = finding;
  const playbook = hostPlaybook(finding.resourceType, type, finding.nodeInstance);
  // A pod or task on a node AWS names is judged as the node: the Runtime agent's process ran on that instance.
  const onNode = playbook === 'ec2-compromise' && (CONTAINER_RESOURCE_TYPES as readonly string[]).includes(finding.resourceType);
  const resourceType = onNode ? 'Instance' : finding.resourceType;
  const entry = findingTypeEntry(type);
  const runbook = runbookEntry(type);
  if (!entry) {
    return {
      family: 'unknown',
      playbook,
      containable: false,
      victim: false,
      runbook,
      why: `${type} is not in Firebreak's table of GuardDuty finding types (AWS's list as of ${FINDING_TYPES_RETRIEVED}): a case is opened and nothing is contained until the table knows the type`,
    };
  }
  const base = { family: entry.family, playbook, runbook };
  if (onNode && !entry.resourceTypes.includes('Instance')) {
    return {
      ...base,
      containable: false,
      victim: false,
      why: `${type} came on a ${finding.resourceType} resource that names its node's instance, but ${FINDING_FAMILIES[entry.family].title} does not report it on instances: a case is opened and the node is not contained`,
    };
  }
  if (!entry.resourceTypes.includes(resourceType)) {
    return {
      ...base,
      containable: false,
      victim: false,
      why: `${type} came on a ${resourceType} resource; ${FINDING_FAMILIES[entry.family].title} lists it on ${entry.resourceTypes.join(', ')} only: a case is opened and nothing is contained`,
    };
  }
  const word = onNode
    ? `node (the instance the ${finding.resourceType === 'ECSCluster' ? 'task' : 'pod'} runs on)`
    : (RESOURCE_WORDS[resourceType] ?? resourceType);
  const notContained = subjectAssessment(entry.subject, type, word, resourceType, playbook);
  if (notContained) return { ...base, ...notContained };
  if (playbook === 'rds-compromise' && resourceType === 'RDSLimitlessDB') {
    return {
      ...base,
      containable: false,
      victim: false,
      why: `${type} on an Aurora Limitless shard group: rds-compromise preserves and contains DB instances only; a case is opened and nothing is contained`,
    };
  }
  if (entry.subject === 'compromised-when-actor' && resourceRole !== 'ACTOR') {
    return {
      ...base,
      containable: false,
      victim: true,
      why: `${type} with resourceRole ${resourceRole ?? '(none)'}: the ${word} is the target of the attack, not the attacker (ACTOR); nothing is contained`,
    };
  }
  if (playbook === TRIAGE_PLAYBOOK) {
    return {
      ...base,
      containable: false,
      victim: false,
      why: `${type}: Firebreak has no containment for ${resourceType} resources yet; a case is opened and nothing is contained`,
    };
  }
  return {
    ...base,
    containable: true,
    victim: false,
    why: `${type}${entry.subject === 'compromised-when-actor' ? ' with resourceRole ACTOR' : ''}: the ${word} itself shows signs of compromise`,
  };
}

/**
 * What a finding's subject makes of it before its resource role counts: a case for `suspicious`, `unknown-resource`
 * and `target`, and for `exposed` unless s3-compromise hosts it (then it is contained: the public access block).
 * @returns the assessment's `containable`, `victim` and `why`, or `undefined` for the other subjects.
 */
function subjectAssessment(
  subject: FindingTypeEntry['subject'],
  type: string,
  word: string,
  resourceType: string,
  playbook: Playbook,
): Pick<FindingAssessment, 'containable' | 'victim' | 'why'> | undefined {
  if (subject === 'suspicious') {
    return {
      containable: false,
      victim: false,
      why: `${type}: AWS asks a person to judge whether this is expected (a potentially unwanted or dual-use program), so Firebreak contains nothing automatically; a case is opened`,
    };
  }
  if (subject === 'unknown-resource') {
    return {
      containable: false,
      victim: false,
      why: `${type}: AWS's page does not say which resource this finding names, so Firebreak contains nothing automatically; a case is opened`,
    };
  }
  if (subject === 'target') {
    return {
      containable: false,
      victim: true,
      why: `${type}: the ${word} is the target of the activity or exposed by its configuration, not its source; nothing is contained`,
    };
  }
  if (subject === 'exposed' && playbook === 's3-compromise') {
    return {
      containable: true,
      victim: true,
      why: `${type}: the bucket is exposed by its configuration: s3-compromise preserves it and turns its public access block on`,
    };
  }
  if (subject === 'exposed') {
    return {
      containable: false,
      victim: true,
      why: `${type}: the resource is exposed by its configuration; no playbook closes that exposure for ${resourceType} resources; nothing is contained`,
    };
  }
  return undefined;
}

/**
 * What Firebreak does with a finding type, in one line: the line each section of the family runbooks
 * carries after `**Firebreak:**` (a test keeps the two in step). Severity words are GuardDuty's: High
 * is 7.0 and above; the floor is the deployment's (`severityFloor`, Medium by default).
 */
export function describeResponse(type: string): string {
  const entry = findingTypeEntry(type);
  if (!entry) return 'not in the table: a case at or above the floor, nothing contained.';
  const parts = entry.resourceTypes.map((resourceType) => {
    const playbook = hostPlaybook(resourceType, type);
    const on = entry.resourceTypes.length > 1 ? `on ${resourceType}: ` : '';
    if (playbook === TRIAGE_PLAYBOOK) {
      // A pod or task on a node the finding names goes to ec2-compromise, in approval mode at High (container-node-high).
      const node =
        (CONTAINER_RESOURCE_TYPES as readonly string[]).includes(resourceType) && entry.resourceTypes.includes('Instance')
          ? " (when the finding names the node's EC2 instance: ec2-compromise contains the node at High once a person approves)"
          : '';
      return `${on}finding-triage opens a case, nothing contained${node}`;
    }
    const word = RESOURCE_WORDS[resourceType] ?? resourceType;
    if (entry.subject === 'target')
      return `${on}${playbook} opens a case, nothing contained (a target or an exposure, not a sign the ${word} is compromised)`;
    if (entry.subject === 'suspicious')
      return `${on}${playbook} opens a case, nothing contained (a person judges whether the program is expected)`;
    if (entry.subject === 'unknown-resource')
      return `${on}${playbook} opens a case, nothing contained (AWS does not document the finding's resource)`;
    if (entry.subject === 'exposed')
      return `${on}${playbook} preserves the bucket and turns its public access block on at High; below High, a case`;
    if (playbook === 'rds-compromise')
      return resourceType === 'RDSDBInstance'
        ? `${on}rds-compromise preserves the DB instance (a snapshot copied into the security account) at High and turns its public accessibility off when the finding shows a public remote address; below High, a case naming the database user`
        : `${on}rds-compromise opens a case, nothing contained (Firebreak preserves and contains DB instances only)`;
    if (playbook === 'attack-sequence')
      return `${on}attack-sequence opens one case and, at High, chains credential-compromise for each access key and ec2-compromise for each instance the sequence names (other resources are named on the case, nothing done); below High, a case`;
    const verb =
      playbook === 'ec2-compromise'
        ? 'contains the instance'
        : playbook === 's3-compromise'
          ? 'preserves the bucket and denies the principal the finding names'
          : playbook === 'lambda-compromise'
            ? "preserves the function and throttles it to 0 (its execution role's older sessions revoked unless shared)"
            : playbook === 'ecs-task-compromise'
              ? 'preserves the task and stops it once a person approves'
              : 'revokes the credential';
    if (entry.subject === 'compromised-when-actor')
      return `${on}${playbook} ${verb} at High when resourceRole is ACTOR; otherwise, or below High, a case (the ${word} is the victim when TARGET)`;
    return `${on}${playbook} ${verb} at High, whatever resourceRole says; below High, a case`;
  });
  return `${parts.join('; ')}; below the severity floor, counted only.`;
}
