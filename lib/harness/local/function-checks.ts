import { GetFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { rolePolicyState } from '../../runtime/iam/revoke';
import { ROLE_SESSION_REVOCATION_POLICY_NAME, roleSessionRevocationPolicy } from '../../runtime/iam/policies';
import type { FunctionTwin } from './function-twin';
import type { Check } from './checks';
import type { LocalEnvironment } from './seed';

/** What a lambda-compromise execution put on its state (`$.functionContainment`), as far as the checks read it. */
interface ContainmentOutput {
  readonly roleName?: string;
  readonly cutoff?: string;
}

/**
 * The read-back of a contained function (lambda-compromise), from the emulator with the harness's clients: reserved
 * concurrency 0; Firebreak's revocation policy with the case's cutoff on the role when it was revoked; the case's
 * manifest in the evidence bucket naming every artifact with the SHA-256 of its stored bytes, the code package's bytes
 * being the twin's .zip, and no environment variable value copied.
 */
export async function functionContainedChecks(
  env: LocalEnvironment,
  twin: FunctionTwin,
  caseId: string,
  output: ContainmentOutput | undefined,
): Promise<Check[]> {
  const reserved = (await env.member.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: twin.functionName })))
    .ReservedConcurrentExecutions;
  const checks: Check[] = [{ name: 'function-throttled', passed: reserved === 0, details: `reserved concurrency ${reserved ?? 'none'}` }];
  if (output?.roleName && output.cutoff) {
    const state = await rolePolicyState(
      env.member.iam,
      output.roleName,
      ROLE_SESSION_REVOCATION_POLICY_NAME,
      roleSessionRevocationPolicy(new Date(output.cutoff)),
    );
    checks.push({ name: 'function-role-sessions-revoked', passed: state === 'same', details: `${output.roleName}: policy ${state}` });
  }
  checks.push(await manifestCheck(env, twin, caseId));
  return checks;
}

/** The case's manifest, read back: every artifact at its recorded SHA-256, the code the twin's, no secret copied. */
async function manifestCheck(env: LocalEnvironment, twin: FunctionTwin, caseId: string): Promise<Check> {
  const item = (await env.security.ddb.send(new GetCommand({ TableName: env.ledgerTable, Key: { pk: `CASE#${caseId}`, sk: 'CASE' } })))
    .Item;
  const ref = (item?.evidence as { manifest?: { bucket: string; key: string } } | undefined)?.manifest;
  if (!ref) return { name: 'function-evidence-manifest', passed: false, details: 'the case records no manifest' };
  const read = async (key: string) =>
    Buffer.from(await (await env.security.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: key }))).Body!.transformToByteArray());
  const manifest = JSON.parse((await read(ref.key)).toString('utf8')) as { artifacts: { name: string; key: string; sha256: string }[] };
  const bad: string[] = [];
  let code = false;
  let secret = false;
  for (const a of manifest.artifacts) {
    const bytes = await read(a.key);
    if (createHash('sha256').update(bytes).digest('hex') !== a.sha256) bad.push(a.name);
    if (a.name === 'function-code.zip') code = bytes.equals(twin.code);
    if (bytes.includes('twin-secret-value')) secret = true;
  }
  return {
    name: 'function-evidence-manifest',
    passed: manifest.artifacts.length === 7 && bad.length === 0 && code && !secret,
    details: `${manifest.artifacts.length} artifact(s)${code ? ', the code package is the function’s' : ', the code package missing or different'}${secret ? ', an environment value was copied' : ''}${bad.length ? `; hash mismatch: ${bad.join(', ')}` : ''}`,
  };
}
