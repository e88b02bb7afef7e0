import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type * as z from 'zod';
import type { NothingToRestoreSchema } from '../../../core/contracts/release-results';
import { releasePath } from '../../../core/contracts/state-paths';
import { NOT_YET_CONSISTENT_RETRY, PlaybookStates, PlaybookProps, PlaybookConstruct } from '../../playbook-states';
import type { StepName } from '../../steps';

/**
 * What TaskNotRestartable puts at `$.restore` for an ecs-task-compromise case: ECS cannot start a stopped task again
 * (StopTask, Amazon ECS API Reference: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html), and
 * the case changed nothing else; its service, if any, already started a replacement or was scaled by a person.
 */
export const TASK_NOT_RESTARTABLE: z.input<typeof NothingToRestoreSchema> = {
  actions: [],
  unchanged: [],
  notRestored: [],
  nothing:
    'the case stopped an ECS task: a stopped task cannot be restarted, and nothing else was changed in the member account, so there is nothing to undo (its service, if any, runs replacements from its task definition)',
};

/** The name of the `release` state machine. */
export const RELEASE_STATE_MACHINE_NAME = 'firebreak-release';

/**
 * The Lambda Task states of `release` and the step each one invokes. State names are a contract: the
 * local runner, the CLI (`firebreak status`) and the tests use them.
 */
export const RELEASE_TASKS: Readonly<Record<string, StepName>> = {
  LoadCase: 'load-case',
  ReleaseInstance: 'release-instance',
  ReleaseCredentials: 'release-credentials',
  ReleaseBucket: 'release-bucket',
  ReleaseFunction: 'release-function',
  ReleaseDatabase: 'release-database',
  VerifyRelease: 'verify-release',
  CloseRelease: 'close-release',
  NotifyRelease: 'notify-release',
  RecordResourceGone: 'record-failure',
  RecordFailure: 'record-failure',
};

/** What `NothingToRestore` puts at `$.restore` (a cloudtrail-tamper case that revoked no actor). */
export const NOTHING_TO_RESTORE: z.input<typeof NothingToRestoreSchema> = {
  actions: [],
  unchanged: [],
  notRestored: [],
  nothing: 'the case revoked no credentials and isolated no instance: there is nothing to restore in the member account',
};

/** Properties of {@link ReleasePlaybook}; its `timeout` defaults to `Duration.hours(1)`. */
export type ReleasePlaybookProps = PlaybookProps;

/**
 * The `release` playbook (DESIGN.md §3 "release", issue 4): undoes a case's containment from the prior
 * state recorded on the case. It is started by hand only (`firebreak release <caseId> --reason TEXT`),
 * never by a rule, with the input `{ release: { caseId, reason, operator } }`.
 *
 * LoadCase → LoadOutcome (`$.case.status == ALREADY_RELEASED` → AlreadyReleased → Done) → ReleaseTarget,
 * a Choice on the case's playbook: `ec2-compromise` → ReleaseInstance; `credential-compromise`, and
 * `cloudtrail-tamper` when it revoked an actor (`$.case.actorRevoked`) → ReleaseCredentials; a
 * `cloudtrail-tamper` case that revoked no actor → NothingToRestore; anything else → UnknownReleaseTarget
 * → RecordFailure. Then VerifyRelease (which first waits out `NotYetConsistent`, as VerifyRevocation does)
 * → CloseRelease → NotifyRelease → Released → Done.
 *
 * The member-account steps assume the releaser role, never the responder role. A Standard, JSONPath
 * state machine of Lambda Tasks (`payloadResponseOnly`), logging at level ALL, X-Ray tracing, a 1 h
 * overall timeout; Retry and Catch as in the other playbooks (RecordFailure is the shared step).
 */
export class ReleasePlaybook extends PlaybookConstruct {
  /**
   * @param scope - the parent construct.
   * @param id - the construct ID.
   * @param props - see {@link ReleasePlaybookProps}.
   * @throws {ConfigError} when a step function the playbook needs is missing.
   */
  constructor(scope: Construct, id: string, props: ReleasePlaybookProps) {
    super(scope, id);
    const states = new PlaybookStates(this, {
      playbook: 'release',
      tasks: RELEASE_TASKS,
      functions: props.functions,
      // When LoadCase fails, the state is still the raw input, without `run`: the recorder gets the
      // execution's name from the context object, so its timeline entry names the execution.
      failureParameters: { executionName: sfn.JsonPath.stringAt('$$.Execution.Name') },
    });

    // Built from its end.
    const notifyRelease = states.step('NotifyRelease', releasePath('notification'));
    notifyRelease.next(states.outcome('Released', 'RELEASED')).next(states.done);
    const closeRelease = states.step('CloseRelease', releasePath('closed'));
    closeRelease.next(notifyRelease);
    const verify = states.step('VerifyRelease', releasePath('verify'), { retries: [NOT_YET_CONSISTENT_RETRY] });
    verify.next(closeRelease);
    const [releaseInstance, releaseCredentials, releaseBucket, releaseFunction, releaseDatabase] = (
      ['ReleaseInstance', 'ReleaseCredentials', 'ReleaseBucket', 'ReleaseFunction', 'ReleaseDatabase'] as const
    ).map((name) => {
      const step = states.step(name, releasePath('restore'));
      step.next(verify);
      return step;
    });
    const nothing = new sfn.Pass(this, 'NothingToRestore', {
      result: sfn.Result.fromObject(NOTHING_TO_RESTORE),
      resultPath: releasePath('restore'),
    });
    nothing.next(closeRelease);
    const taskNotRestartable = new sfn.Pass(this, 'TaskNotRestartable', {
      result: sfn.Result.fromObject(TASK_NOT_RESTARTABLE),
      resultPath: releasePath('restore'),
    });
    taskNotRestartable.next(closeRelease);
    const unknown = new sfn.Pass(this, 'UnknownReleaseTarget', {
      result: sfn.Result.fromObject({
        Error: 'UnknownReleaseTarget',
        Cause: 'LoadCase accepted a case whose playbook release does not handle',
      }),
      resultPath: releasePath('error'),
    });
    unknown.next(states.recordFailure);

    const playbookIs = (p: string) => sfn.Condition.stringEquals(releasePath('case', 'playbook'), p);
    const target = new sfn.Choice(this, 'ReleaseTarget')
      .when(playbookIs('ec2-compromise'), releaseInstance)
      .when(playbookIs('credential-compromise'), releaseCredentials)
      .when(
        sfn.Condition.and(playbookIs('cloudtrail-tamper'), sfn.Condition.booleanEquals(releasePath('case', 'actorRevoked'), true)),
        releaseCredentials,
      )
      .when(playbookIs('cloudtrail-tamper'), nothing)
      .when(playbookIs('s3-compromise'), releaseBucket)
      .when(playbookIs('lambda-compromise'), releaseFunction)
      .when(playbookIs('ecs-task-compromise'), taskNotRestartable)
      .when(playbookIs('rds-compromise'), releaseDatabase)
      .otherwise(unknown);

    const alreadyReleased = states.outcome('AlreadyReleased', 'ALREADY_RELEASED');
    alreadyReleased.next(states.done);
    const loadCase = states.step('LoadCase', '$', {
      parameters: {
        input: PlaybookStates.WHOLE_STATE,
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        executionStartTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
      },
    });
    loadCase.next(
      new sfn.Choice(this, 'LoadOutcome')
        .when(sfn.Condition.stringEquals(releasePath('case', 'status'), 'ALREADY_RELEASED'), alreadyReleased)
        .otherwise(target),
    );

    this.buildStateMachine(states, loadCase, props, {
      playbook: 'release',
      stateMachineName: RELEASE_STATE_MACHINE_NAME,
      timeout: Duration.hours(1),
    });
  }
}
