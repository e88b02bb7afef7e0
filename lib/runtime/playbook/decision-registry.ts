import type { Playbook } from '../../core/catalog/catalog';
import { DecisionHooks, entryOf } from './hooks';
import { ATTACK_SEQUENCE_DECISION } from './attack-sequence/decision';
import { CLOUDTRAIL_TAMPER_DECISION } from './cloudtrail-tamper/decision';
import { CREDENTIAL_COMPROMISE_DECISION } from './credential-compromise/decision';
import { FINDING_TRIAGE_DECISION } from './finding-triage/decision';
import { ROOT_ACTIVITY_DECISION } from './root-activity/decision';
import { RDS_COMPROMISE_DECISION } from './rds-compromise/decision';
import { S3_COMPROMISE_DECISION } from './s3-compromise/decision';
import { LAMBDA_COMPROMISE_DECISION } from './lambda-compromise/decision';
import { ECS_TASK_COMPROMISE_DECISION } from './ecs-task-compromise/decision';

/**
 * What each playbook tells Decide, one line each ({@link DecisionHooks}: pure, no AWS client). The type makes the
 * table complete for every playbook of the catalog (`PLAYBOOKS`, lib/core/catalog/catalog.ts); `{}` lets the catalog
 * decide. Only Decide imports it, so its bundle holds no playbook's plan or orphaned-case code.
 */
export const DECISION_HOOKS: Readonly<Record<Playbook, DecisionHooks>> = {
  'ec2-compromise': {},
  'credential-compromise': CREDENTIAL_COMPROMISE_DECISION,
  'cloudtrail-tamper': CLOUDTRAIL_TAMPER_DECISION,
  'root-activity': ROOT_ACTIVITY_DECISION,
  'finding-triage': FINDING_TRIAGE_DECISION,
  's3-compromise': S3_COMPROMISE_DECISION,
  'rds-compromise': RDS_COMPROMISE_DECISION,
  'attack-sequence': ATTACK_SEQUENCE_DECISION,
  'lambda-compromise': LAMBDA_COMPROMISE_DECISION,
  'ecs-task-compromise': ECS_TASK_COMPROMISE_DECISION,
};

/**
 * Decide's hooks of a playbook.
 * @param playbook - the incident's playbook.
 * @returns its entry; `{}` (the catalog decides) for a name outside the table.
 */
export function decisionHooksOf(playbook: Playbook | string): DecisionHooks {
  return entryOf(DECISION_HOOKS, playbook) ?? {};
}
