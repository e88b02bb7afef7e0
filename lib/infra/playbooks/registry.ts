/**
 * The playbooks FirebreakSecurityAccount builds: one line per playbook, complete over the catalog's playbooks
 * (`PLAYBOOKS`, each started by its catalog rules) and the operator's (`OPERATOR_PLAYBOOKS`: release, started by
 * hand). The type forces a line for every playbook and refuses one for a playbook the catalog does not name. Each
 * playbook's module (./<playbook>/index.ts) declares its own steps, their access and its construct; the shared
 * steps are in ./shared.ts. Registry order is the order of the constructs, the alarms and STEP_NAMES.
 */

import type { OperatorPlaybook, Playbook } from '../../core/catalog/catalog';
import { ATTACK_SEQUENCE } from './attack-sequence';
import { CLOUDTRAIL_TAMPER } from './cloudtrail-tamper';
import { CREDENTIAL_COMPROMISE } from './credential-compromise';
import { EC2_COMPROMISE } from './ec2-compromise';
import { FINDING_TRIAGE } from './finding-triage';
import { LAMBDA_COMPROMISE } from './lambda-compromise';
import type { PlaybookRegistration } from './registration';
import { RELEASE } from './release';
import { ROOT_ACTIVITY } from './root-activity';
import { RDS_COMPROMISE } from './rds-compromise';
import { S3_COMPROMISE } from './s3-compromise';
import { ECS_TASK_COMPROMISE } from './ecs-task-compromise';

/** Every playbook's registration, by playbook name. */
export const PLAYBOOK_REGISTRY = {
  'ec2-compromise': EC2_COMPROMISE,
  'credential-compromise': CREDENTIAL_COMPROMISE,
  'cloudtrail-tamper': CLOUDTRAIL_TAMPER,
  'root-activity': ROOT_ACTIVITY,
  'finding-triage': FINDING_TRIAGE,
  's3-compromise': S3_COMPROMISE,
  'rds-compromise': RDS_COMPROMISE,
  'attack-sequence': ATTACK_SEQUENCE,
  'lambda-compromise': LAMBDA_COMPROMISE,
  'ecs-task-compromise': ECS_TASK_COMPROMISE,
  release: RELEASE,
} as const satisfies Record<Playbook | OperatorPlaybook, PlaybookRegistration>;

/** A registered playbook's name. */
export type RegisteredPlaybook = keyof typeof PLAYBOOK_REGISTRY;

/** The construct each playbook's registration builds, by playbook name. */
export type PlaybookConstructs = { readonly [P in RegisteredPlaybook]: ReturnType<(typeof PLAYBOOK_REGISTRY)[P]['create']> };
