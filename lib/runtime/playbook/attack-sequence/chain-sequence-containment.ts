import { createHash } from 'node:crypto';
import { ConfigError, InvalidInput } from '../../../core/errors';
import { LAMBDA_ENV } from '../../../core/contracts/environment';
import { SequenceSummarySchema } from '../../../core/incident/sequence';
import { ChainedRoute, chainedRoutes, chainKey, routeResource, SequenceRoute } from '../../../core/incident/sequence-summary';
import { parseOrThrow } from '../../../core/contracts/parse';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import type { PlaybookState } from '../../../core/contracts/state';
import { chainedEnvelope, startChainedRun } from '../chained-start';

/** One chained containment started (or found started) for a resource of the sequence. */
export interface SequenceChain {
  readonly playbook: 'credential-compromise' | 'ec2-compromise';
  /** The access key ID, `role/<name>`, or the instance ID. */
  readonly resource: string;
  readonly account: string;
  readonly executionArn: string;
  readonly executionName: string;
  /** `true` when an earlier run of this step had started it already. */
  readonly alreadyStarted: boolean;
}

/** What ChainSequenceContainment did: the chained runs, and how many of the sequence's resources it only named. */
export interface SequenceChainsResult {
  readonly chains: SequenceChain[];
  readonly named: number;
}

/**
 * The execution name of the chained run for one resource of a sequence case: `seq-<caseId>-<resource>` when that fits
 * Step Functions' 80 characters of `[A-Za-z0-9_-]` ("StartExecution", Step Functions API Reference: `name`) and the
 * resource needs no character replaced (but the `/` of `role/`), else the resource's SHA-256 (16 hex): a role name may
 * hold `+=,.@`, and two roles whose names differ only there must not share an execution (the second start would be
 * `ExecutionAlreadyExists`, read as started). Derived from the case ID and the resource only, so every re-run of the
 * step, and every concurrent one, names the same execution.
 */
export function sequenceExecutionName(caseId: string, route: SequenceRoute): string {
  const resource = `${route.account}-${routeResource(route)}`;
  const plain = `seq-${caseId}-${resource}`.replace(/[^A-Za-z0-9_-]/g, '-');
  if (plain.length <= 80 && /^(role\/)?[A-Za-z0-9_-]+$/.test(routeResource(route))) return plain;
  const digest = createHash('sha256').update(resource).digest('hex').slice(0, 16);
  return `seq-${caseId}-${digest}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
}

/** The state machine a route chains into, from the step's environment. */
function stateMachineOf(route: SequenceRoute, deps: StepDeps): string {
  const arn = route.playbook === 'ec2-compromise' ? deps.config.ec2PlaybookArn : deps.config.credentialPlaybookArn;
  if (!arn) {
    const variable =
      route.playbook === 'ec2-compromise' ? LAMBDA_ENV.FIREBREAK_EC2_PLAYBOOK_ARN : LAMBDA_ENV.FIREBREAK_CREDENTIAL_PLAYBOOK_ARN;
    throw new ConfigError(`${variable} is not set: the stack must give ChainSequenceContainment the ${route.playbook} state machine`);
  }
  return arn;
}

/** The start envelope's limit on `reason` (`StartOptionsSchema`, lib/core/incident/schema.ts), in UTF-16 code units. */
const CHAIN_REASON_MAX = 1024;

/**
 * The chained run's reason: the sequence case, the sequence's uid, its finding type and the resource, cut to
 * {@link CHAIN_REASON_MAX} characters (ending in `…`), since the uid and the finding type come from the finding and
 * together may exceed it: a refused reason would fail the chained run at Normalize after the sequence case said it started.
 * The same on every re-run (the start's input must not change).
 */
export function chainReason(caseId: string, uid: string | undefined, findingType: string, resource: string): string {
  const full = `chained from case ${caseId}: attack sequence ${uid ?? '?'} (${findingType}) names ${resource}`;
  return full.length <= CHAIN_REASON_MAX ? full : `${full.slice(0, CHAIN_REASON_MAX - 1)}…`;
}

/** Starts (or finds started) the chained run of one route: the same name and input on every run. */
async function startChain(state: PlaybookState, route: ChainedRoute, deps: StepDeps): Promise<SequenceChain> {
  const caseId = state.case.caseId;
  const i = state.incident;
  const stateMachineArn = stateMachineOf(route, deps);
  const executionName = sequenceExecutionName(caseId, route);
  const envelope = chainedEnvelope(state, route.target, chainReason(caseId, i.sequence?.uid, i.finding.type, routeResource(route)));
  const { executionArn, alreadyStarted } = await startChainedRun(deps.clients.security().sfn, stateMachineArn, executionName, envelope);
  return { playbook: route.playbook, resource: routeResource(route), account: route.account, executionArn, executionName, alreadyStarted };
}

/**
 * The chain a case already records for a route (`decisions["chain#…"]`, written by an earlier run of the step: the
 * first finding of an updated sequence, or a run that crashed after recording), as the step reports it; no call.
 */
function recordedChain(route: ChainedRoute, entry: unknown): SequenceChain | undefined {
  const executionArn = (entry as { executionArn?: unknown } | undefined)?.executionArn;
  if (typeof executionArn !== 'string') return undefined;
  const { playbook, account } = route;
  return {
    playbook,
    resource: routeResource(route),
    account,
    executionArn,
    executionName: executionArn.split(':').pop()!,
    alreadyStarted: true,
  };
}

/**
 * ChainSequenceContainment (attack-sequence): starts one chained containment per resource of the sequence that
 * Normalize routed (`incident.sequence.resources[].target`, lib/core/incident/sequence.ts): credential-compromise for
 * an access key, ec2-compromise for an instance, each with a `{ firebreak: { target, chainedFrom } }` envelope naming
 * this case, as credential-compromise's ChainInstanceContainment does. Resources it only names (other types, accounts the
 * deployment does not list) are on the case and in its notification already.
 *
 * Idempotent: each execution's name is {@link sequenceExecutionName} and its input the same on every run, so
 * `StartExecution` returns the running execution ("StartExecution is idempotent for STANDARD workflows", Step
 * Functions API Reference) and `ExecutionAlreadyExists` (it has ended) means the chained run happened; a crash after a
 * start, a re-run or two deliveries at once start each chained run once. Each chained run has its own case keyed on its
 * resource (a resource a finding already contained ends `ALREADY_HANDLED`). The chains are recorded on this case
 * (`decisions["chain#<playbook>#<account>#<resource>"]`, one write after the starts), so `firebreak cases show` lists them.
 * A resource the case already records a chain for is not started again (an update of the sequence that names more
 * resources chains exactly the new ones, Claim's `update`; a crash after the write): it is reported as `alreadyStarted`.
 * Execution names are kept 90 days after an execution ends (StartExecution), so the record, not the name, is what keeps
 * a later update from starting a second run for a resource a person may have released since.
 *
 * @param state - the playbook state after Decide's `contain`.
 * @returns the chained runs and how many resources were only named.
 * @throws {InvalidInput} when the incident carries no sequence or nothing to chain (Decide refuses such a sequence).
 * @throws {ConfigError} when the stack did not give the step a state machine it needs.
 */
export async function chainSequenceContainment(state: PlaybookState, deps: StepDeps): Promise<SequenceChainsResult> {
  return runStep('ChainSequenceContainment', caseTarget(state, deps.ledger), async () => {
    // The state is Firebreak's own, but the incident's schema does not check the sequence: check it before acting on it.
    const sequence = state.incident.sequence && parseOrThrow(SequenceSummarySchema, state.incident.sequence, 'incident.sequence');
    const routes = chainedRoutes(sequence);
    if (!sequence || routes.length === 0) throw new InvalidInput('incident.sequence names nothing to chain: Decide should have refused it');
    const recorded = (await deps.ledger.getCase(state.case.caseId))?.decisions ?? {};
    const chains: SequenceChain[] = [];
    for (const route of routes) chains.push(recordedChain(route, recorded[chainKey(route)]) ?? (await startChain(state, route, deps)));
    const entries = Object.fromEntries(
      chains.map((c) => [
        `chain#${c.playbook}#${c.account}#${c.resource}`, // chainKey of the chain's route
        { playbook: c.playbook, resource: c.resource, account: c.account, executionArn: c.executionArn },
      ]),
    );
    await deps.ledger.recordDecisionEntries(state.case.caseId, entries);
    return { chains, named: sequence.resources.length - routes.length };
  });
}
