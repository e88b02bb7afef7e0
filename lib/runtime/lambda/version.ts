import { LambdaClient, PublishVersionCommand } from '@aws-sdk/client-lambda';
import { NotYetConsistent } from '../../core/errors';
import { hasAwsCode } from '../aws-errors';
import type { PlannedAction, StepMode } from '../ec2/instance';
import { listVersions, readFunction } from './function';

/**
 * The evidence version of a lambda-compromise case (PublishVersion, Lambda API Reference: "a snapshot of your function
 * code and configuration that doesn't change"): found by its description, or published with the `CodeSha256` and
 * `RevisionId` just read. Its own module so that PlanDryRun's bundle holds it without the rest of preservation
 * (lib/runtime/lambda/preserve.ts).
 *
 * The description names a case ID no one in the member account knows before Firebreak publishes, but anyone there can
 * read it afterwards and publish look-alikes (other code, other configuration) under it: only the lowest-numbered version
 * with the description is the case's, whatever its code hash (a later one may be a member's; the function may have changed
 * since the first, which is then the closer to what GuardDuty found).
 */

/** The description of the version a case publishes (Lambda allows 256 characters; a case ID is far shorter). */
export function versionDescription(caseId: string): string {
  return `Firebreak evidence for case ${caseId}`;
}

/** The published version of this case: the lowest-numbered one with its description, else published (apply) or planned. */
export async function ensureEvidenceVersion(
  lambda: LambdaClient,
  functionName: string,
  caseId: string,
  mode: StepMode,
): Promise<{ version?: string; codeSha256?: string; actions: PlannedAction[] }> {
  const latest = (await readFunction(lambda, functionName)).configuration;
  const description = versionDescription(caseId);
  const found = (await listVersions(lambda, functionName)).entries
    .filter((v) => v.Version !== '$LATEST' && v.Description === description)
    .sort((a, b) => Number(a.Version) - Number(b.Version))[0];
  if (found) return { version: found.Version, codeSha256: found.CodeSha256, actions: [] };
  const action = { operation: 'Lambda.PublishVersion', target: functionName, change: `publish version "${description}"` };
  if (mode === 'plan') return { codeSha256: latest.CodeSha256, actions: [action] };
  try {
    const out = await lambda.send(
      new PublishVersionCommand({
        FunctionName: functionName,
        Description: description,
        CodeSha256: latest.CodeSha256,
        RevisionId: latest.RevisionId,
      }),
    );
    return { version: out.Version, codeSha256: out.CodeSha256, actions: [action] };
  } catch (err) {
    if (hasAwsCode(err, 'PreconditionFailedException', 'InvalidParameterValueException', 'ResourceConflictException'))
      throw new NotYetConsistent(`Lambda function ${functionName} changed while its version was published; read again`, { cause: err });
    throw err;
  }
}
