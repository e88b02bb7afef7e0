import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Check, readCaseRecord } from '../../local/checks';
import type { LocalExecutionResult } from '../../local/runner';
import type { LocalSession } from '../../local/session';
import { Expectation, InjectionContext, runLabel, runStatus, Verdict } from './expectation';

/** The tally of the runs' outcomes (a run with none counts under its status), rendered over the keys of both. */
function outcomesVerdict(runs: InjectionContext['runs'], expected: Record<string, number>): Verdict {
  const tally: Record<string, number> = {};
  for (const x of runs) {
    const key = x?.outcome ?? runStatus(x);
    tally[key] = (tally[key] ?? 0) + 1;
  }
  const keys = [...new Set([...Object.keys(tally), ...Object.keys(expected)])].sort();
  const render = (t: Record<string, number>) =>
    keys
      .filter((k) => t[k])
      .map((k) => `${k}×${t[k]}`)
      .join(', ');
  return {
    name: 'outcomes',
    passed: keys.every((k) => (tally[k] ?? 0) === (expected[k] ?? 0)),
    details: `expected ${render(expected)}, got ${render(tally)}`,
  };
}

/** Repeats read-back: the runs share one case, it is the resource's only case, and its status. */
async function repeatChecks(session: LocalSession, execs: LocalExecutionResult[], containments: number): Promise<Check[]> {
  const caseIds = [...new Set(execs.map((x) => x.caseId).filter((c): c is string => !!c))];
  const checks: Check[] = [
    { name: 'runs-share-one-case', passed: caseIds.length === 1, details: `case(s): ${caseIds.join(', ') || 'none'}` },
  ];
  if (caseIds.length !== 1) return checks;
  const { item } = await readCaseRecord(session.env, caseIds[0]);
  if (!item) return [...checks, { name: 'one-case-for-resource', passed: false, details: `case ${caseIds[0]} is not in the ledger` }];
  const all: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await session.env.security.ddb.send(
      new ScanCommand({
        TableName: session.env.ledgerTable,
        FilterExpression: 'sk = :s AND resourceId = :r AND playbook = :p',
        ExpressionAttributeValues: { ':s': 'CASE', ':r': item.resourceId, ':p': item.playbook },
        ExclusiveStartKey: start,
      }),
    );
    all.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  checks.push({
    name: 'one-case-for-resource',
    passed: all.length === 1,
    details: `${all.length} ${item.playbook} case(s) for ${item.resourceId}: ${all.map((c) => `${c.caseId ?? c.pk}=${c.status}`).join(', ')}`,
  });
  if (containments > 0)
    checks.push({ name: 'case-contained', passed: item.status === 'CONTAINED', details: `case ${caseIds[0]}: status=${item.status}` });
  return checks;
}

/**
 * A repeated injection (`repeat`): the number of runs, every run's status, how many contained, what the others
 * ended with, the tally of outcomes, the outcome of the runs judged; and, read back, that the runs share one case,
 * the resource's only one.
 */
export const repeatExpectation: Expectation = {
  name: 'repeat',
  phase: 'runs',
  async judge({ session, injection, expect: exp, runs }) {
    const repeat = injection.repeat;
    if (!repeat) return {};
    const statuses = runs.map(runLabel).join(', ');
    const contained = runs.filter((x) => x?.outcome === 'CONTAINED');
    const rest = runs.filter((x) => x?.outcome !== 'CONTAINED');
    const verdicts: Verdict[] = [
      {
        name: 'runs',
        passed: runs.length === repeat.times,
        details: `${runs.length} of ${repeat.times} ${repeat.concurrent ? 'concurrent' : 'sequential'} runs: ${statuses}`,
      },
    ];
    if (exp.status)
      verdicts.push({
        name: 'status',
        passed: runs.every((x) => runStatus(x) === exp.status),
        details: `expected every run ${exp.status}, got ${statuses}`,
      });
    if (exp.containments !== undefined)
      verdicts.push({
        name: 'containments',
        passed: contained.length === exp.containments,
        details: `expected ${exp.containments} run(s) to contain, got ${contained.length} (${statuses})`,
      });
    if (exp.others)
      verdicts.push({
        name: 'others',
        passed: rest.every((x) => runStatus(x) === exp.others),
        details: `expected every other run ${exp.others}, got ${rest.map(runLabel).join(', ') || 'none'}`,
      });
    if (exp.outcomes) verdicts.push(outcomesVerdict(runs, exp.outcomes));
    if (exp.outcome) {
      const judged = exp.others ? runs.filter((x) => runStatus(x) !== exp.others) : runs;
      verdicts.push({
        name: 'outcome',
        passed: judged.length > 0 && judged.every((x) => x?.outcome === exp.outcome),
        details: `expected ${exp.outcome}, got ${judged.map((x) => x?.outcome ?? '-').join(', ') || 'no run to judge'}`,
      });
    }
    const checks = await repeatChecks(
      session,
      runs.filter((x): x is LocalExecutionResult => !!x),
      exp.containments ?? 0,
    );
    return { verdicts, checks };
  },
};
