import { Check, readCaseRecord } from './checks';
import type { LocalExecutionResult } from './runner';
import type { LocalSession } from './session';

/** A chain as ChainSequenceContainment records it on the sequence case (`decisions["chain#..."]`). */
interface RecordedChain {
  readonly playbook?: string;
  readonly resource?: string;
  readonly executionArn?: string;
}

/**
 * The read-back of an attack-sequence case that chained containments: the sequence case is CONTAINED and lists every
 * chained execution its step reported (`decisions["chain#..."]`), each of those executions ran in the local Step
 * Functions service with an input naming the sequence case as `chainedFrom`, and each chained case records it.
 * @param session - the local session (ledger, Step Functions service).
 * @param x - the attack-sequence execution.
 * @returns the check `sequence-chained`.
 */
export async function sequenceChainChecks(session: LocalSession, x: LocalExecutionResult): Promise<Check[]> {
  const caseId = x.caseId!;
  const { item } = await readCaseRecord(session.env, caseId);
  const decisions = (item?.decisions ?? {}) as Record<string, unknown>;
  const recorded = Object.entries(decisions)
    .filter(([k]) => k.startsWith('chain#'))
    .map(([, v]) => v as RecordedChain);
  const reported = ((x.output?.sequenceChains as { chains?: { executionArn: string }[] } | undefined)?.chains ?? []).map(
    (c) => c.executionArn,
  );
  const problems: string[] = [];
  if (item?.status !== 'CONTAINED') problems.push(`the sequence case is ${item?.status ?? 'missing'}, not CONTAINED`);
  for (const arn of reported) {
    if (!recorded.some((r) => r.executionArn === arn)) problems.push(`${arn} is not recorded on the case`);
    const run = session.sfn.list().find((e) => e.executionArn === arn);
    const input = run ? (JSON.parse(run.input) as { firebreak?: { chainedFrom?: string } }) : undefined;
    if (input?.firebreak?.chainedFrom !== caseId) problems.push(`${arn} did not run chained from ${caseId}`);
    const chainedCase = run?.result?.caseId ? (await readCaseRecord(session.env, run.result.caseId)).item : undefined;
    const from = (chainedCase?.incident as { chainedFrom?: string } | undefined)?.chainedFrom;
    if (run?.result?.status !== 'ALREADY_HANDLED' && from !== caseId)
      problems.push(`the case of ${arn} does not record chainedFrom ${caseId}`);
  }
  return [
    {
      name: 'sequence-chained',
      passed: reported.length > 0 && problems.length === 0,
      details: problems.length
        ? problems.join('; ')
        : `${reported.length} chained execution(s) recorded on case ${caseId}, each chained from it: ${recorded.map((r) => `${r.playbook} ${r.resource}`).join(', ')}`,
    },
  ];
}
