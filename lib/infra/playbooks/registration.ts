import type { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { PlaybookConstruct } from '../playbook-states';
import type { ResponderFunction } from '../responder-function';
import type { StepTable } from '../step-access';
import type { StepName } from '../steps';

/** What FirebreakSecurityAccount hands every playbook's factory. */
export interface PlaybookFactoryProps {
  /** Every step's function, by step (a playbook takes the ones its Task states invoke). */
  readonly functions: Readonly<Record<StepName, ResponderFunction>>;
  /** The state machine's name (`<prefix>-<playbook>`). */
  readonly stateMachineName: string;
  /** The deployment's approval timeout (`approvalTimeoutSeconds`); a playbook that never waits for an approval ignores it. */
  readonly approvalTimeout: Duration;
}

/**
 * One playbook's infra, as its module (lib/infra/playbooks/<playbook>/index.ts) registers it in
 * lib/infra/playbooks/registry.ts.
 * @typeParam S - the playbook's own steps (none for a playbook of shared steps only).
 * @typeParam C - its construct.
 */
export interface PlaybookRegistration<S extends string = string, C extends PlaybookConstruct = PlaybookConstruct> {
  /** The construct ID under FirebreakSecurityAccount (`Ec2Compromise`): logical IDs derive from it, so it never changes. */
  readonly constructId: string;
  /**
   * The playbook's own steps (a Lambda folder each) and what each may touch; the shared steps are in
   * lib/infra/playbooks/shared.ts. A step belongs to one playbook only.
   */
  readonly steps: StepTable<S>;
  /** Builds the playbook's construct (its state machine, role and log group). */
  readonly create: (scope: Construct, id: string, props: PlaybookFactoryProps) => C;
}
