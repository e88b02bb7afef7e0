import { createHash } from 'node:crypto';
import { FunctionConfiguration, LambdaClient } from '@aws-sdk/client-lambda';
import type { PlannedAction, StepMode } from '../ec2/instance';
import { putArtifactOnce, StoredArtifact } from '../evidence/vault';
import type { EvidenceTarget } from '../s3/preserve';
import { listEventSourceMappings, readFunction, readFunctionUrlConfig, readReservedConcurrency, readResourcePolicy } from './function';
import { ensureEvidenceVersion, versionDescription } from './version';

export { versionDescription } from './version';

/**
 * Preservation of a Lambda function before containment (lambda-compromise), after GuardDuty's "Remediating a
 * potentially compromised Lambda function" (https://docs.aws.amazon.com/guardduty/latest/ug/remediate-lambda-protection-finding-types.html:
 * identify the function version, review its code, libraries and layers):
 * - a **published version** (PublishVersion, Lambda API Reference) with the description {@link versionDescription}: "a
 *   snapshot of your function code and configuration that doesn't change", so the code as GuardDuty found it stays
 *   addressable and immutable in the member account even if someone updates the function later. Sent with the
 *   `CodeSha256` and `RevisionId` just read, so Lambda publishes exactly what was read (it refuses when the function
 *   changed meanwhile: the step reads again). Lambda "doesn't publish a version if the function's configuration and code
 *   haven't changed since the last version" and answers that version: the version recorded is then that one (same code
 *   and configuration). Idempotent: a re-run finds the version by its description (the lowest-numbered: version.ts) and publishes none.
 * - into the security account's evidence bucket, each with its SHA-256 (the manifest lists them): the version's
 *   configuration, **with the environment variables' names only** (their values are often secrets; they stay in the
 *   published version, encrypted under the function's key, readable with GetFunctionConfiguration on that version by
 *   whoever investigates in the member account, so none is copied into another account); the **code package** itself,
 *   downloaded from `Code.Location` and accepted only when its SHA-256 is the version's `CodeSha256` (provenance);
 *   the resource-based policy, the function URL's configuration, the event source mappings (listed only) and the
 *   reserved concurrency.
 * The code is stored only up to {@link MAX_CODE_BYTES}; a larger package (Lambda allows 250 MB unzipped through S3) is
 * reported as not stored and stays in the published version. A container-image function has no .zip: its image URI
 * and digest are in the configuration artifact.
 */

/** The largest code package copied into the evidence bucket (bytes): 64 MiB, above the 50 MB of a direct .zip upload. */
export const MAX_CODE_BYTES = 64 * 1024 * 1024;

/** `priorState.functionVersion`: the version preservation published (or found) for the case. */
export interface FunctionVersionRecord {
  readonly functionName: string;
  readonly version: string;
  readonly codeSha256: string;
  readonly description: string;
}

/** Records a value on the case (the ledger's `recordPriorState`: the first record of a key wins); returns what is stored. */
export type FunctionRecorder = <T>(key: 'functionVersion' | 'reservedConcurrency', value: T) => Promise<T>;

/** Downloads a code location: at most `maxBytes` bytes, or `'too-large'`. */
export type CodeFetcher = (url: string, maxBytes: number) => Promise<Buffer | 'too-large'>;

/**
 * How long the code download may take, headers and body (ms): half of PreserveFunction's 120 s Lambda timeout, so a
 * stalled download fails (reported in function-code.json) with time left for the artifacts, instead of timing the step
 * out on every attempt and leaving the function uncontained.
 */
export const CODE_DOWNLOAD_TIMEOUT_MS = 60_000;

/**
 * A {@link CodeFetcher} with the runtime's `fetch` (an HTTPS GET of the presigned URL), reading at most `maxBytes`,
 * aborted after `timeoutMs` (`AbortSignal.timeout`: a `TimeoutError`).
 */
export function codeFetcher(timeoutMs: number): CodeFetcher {
  return (url, maxBytes) => download(url, maxBytes, AbortSignal.timeout(timeoutMs));
}

/** {@link codeFetcher} with {@link CODE_DOWNLOAD_TIMEOUT_MS}. */
export const fetchCode: CodeFetcher = codeFetcher(CODE_DOWNLOAD_TIMEOUT_MS);

/** GETs `url` under `signal`: the bytes, at most `maxBytes`, or `'too-large'`. */
async function download(url: string, maxBytes: number, signal: AbortSignal): Promise<Buffer | 'too-large'> {
  const res = await fetch(url, { signal });
  if (!res.ok || !res.body) throw new Error(`the code location answered HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) return 'too-large';
  // One buffer of the declared size (S3's presigned GET sends Content-Length), filled in place: a 64 MiB package costs
  // 64 MiB, not the chunks plus their concatenation (PreserveFunction has 256 MB). Without a length, chunks are kept.
  const whole = Number.isSafeInteger(declared) && declared >= 0 ? Buffer.allocUnsafe(declared) : undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    if (size + chunk.length > (whole ? whole.length : maxBytes)) return 'too-large';
    if (whole) whole.set(chunk, size);
    else chunks.push(chunk);
    size += chunk.length;
  }
  if (whole) return size === whole.length ? whole : whole.subarray(0, size);
  return Buffer.concat(chunks, size);
}

/** What preservation did or would do. */
export interface FunctionPreservationResult {
  readonly functionName: string;
  /** The evidence version (absent in plan mode when none exists yet). */
  readonly version?: string;
  readonly codeSha256?: string;
  /** Why the code package is not among the artifacts (too large, an image, a hash mismatch), when it is not. */
  readonly codeNotStored?: string;
  readonly artifacts: StoredArtifact[];
  readonly actions: PlannedAction[];
}

/** A version's configuration with the environment variables' values left out (names only). */
export function withoutEnvironmentValues(config: FunctionConfiguration): Record<string, unknown> {
  const { Environment, ...rest } = config;
  if (!Environment) return rest;
  const { Variables, ...env } = Environment;
  return { ...rest, Environment: { ...env, VariableNames: Object.keys(Variables ?? {}).sort(), valuesOmitted: true } };
}

/**
 * Downloads and checks the version's code: the bytes when their SHA-256 is `CodeSha256`, else why not (an image, too
 * large, a failed download, a hash that differs). Never throws for the download: preservation must not stop containment.
 */
async function provenCode(codeLocation: string | undefined, codeSha256: string | undefined, fetcher: CodeFetcher) {
  if (!codeLocation) return { why: 'a container image: no .zip package (the image URI and digest are in the configuration)' };
  let bytes: Buffer | 'too-large';
  try {
    bytes = await fetcher(codeLocation, MAX_CODE_BYTES);
  } catch (err) {
    // Never a reason to leave the function uncontained: the code stays in the published version.
    return { why: `the download failed (${(err as Error).message}): kept in the published version only` };
  }
  if (bytes === 'too-large') return { why: `larger than ${MAX_CODE_BYTES} bytes: kept in the published version only` };
  const got = createHash('sha256').update(bytes).digest('base64');
  if (got !== codeSha256) return { why: `the downloaded package's SHA-256 ${got} is not the version's CodeSha256 ${codeSha256}` };
  return { bytes };
}

/**
 * Preserves a function (see the module's comment): the evidence version first (recorded on the case under
 * `functionVersion`), then everything read from that version and the function, then the artifacts, written once
 * (`putArtifactOnce`: a re-run keeps the first copy).
 * @param lambda - Lambda in the member account (responder role).
 * @param input - the function's name and the case.
 * @param mode - `plan`: reads only; nothing published, written or recorded.
 * @param record - the case's recorder. @param evidence - the evidence bucket. @param fetcher - downloads the code.
 * @throws {ResourceGone} when the function is gone. `NotYetConsistent` (version.ts) when it changed while being published.
 */
export async function ensureFunctionPreserved(
  lambda: LambdaClient,
  input: { functionName: string; caseId: string },
  mode: StepMode,
  record: FunctionRecorder,
  evidence: EvidenceTarget,
  fetcher: CodeFetcher = fetchCode,
): Promise<FunctionPreservationResult> {
  const { functionName } = input;
  const published = await ensureEvidenceVersion(lambda, functionName, input.caseId, mode);
  if (mode === 'plan' || !published.version) return { functionName, ...published, artifacts: [] };
  const description = versionDescription(input.caseId);
  const rec = await record<FunctionVersionRecord>('functionVersion', {
    functionName,
    version: published.version,
    codeSha256: published.codeSha256!,
    description,
  });
  const [version, policy, url, mappings, reserved] = await Promise.all([
    readFunction(lambda, functionName, rec.version),
    readResourcePolicy(lambda, functionName),
    readFunctionUrlConfig(lambda, functionName),
    listEventSourceMappings(lambda, functionName),
    readReservedConcurrency(lambda, functionName),
  ]);
  const code = await provenCode(version.codeLocation, version.configuration.CodeSha256, fetcher);
  const documents: Record<string, unknown> = {
    'function-configuration.json': {
      version: rec.version,
      configuration: withoutEnvironmentValues(version.configuration),
      imageUri: version.imageUri ?? null,
      resolvedImageUri: version.resolvedImageUri ?? null,
    },
    'resource-policy.json': { functionName, policy },
    'function-url-config.json': { functionName, functionUrlConfig: url },
    'event-source-mappings.json': { functionName, pageCap: mappings.truncated ? 'reached' : 'not reached', entries: mappings.entries },
    'reserved-concurrency.json': { functionName, reservedConcurrentExecutions: reserved },
    'function-code.json': {
      functionName,
      version: rec.version,
      codeSha256: version.configuration.CodeSha256,
      codeSize: version.configuration.CodeSize,
      stored: !code.why,
      notStored: code.why ?? null,
    },
  };
  const prefix = `${evidence.prefix}function/`;
  const put = (name: string, body: string | Buffer, contentType?: string) =>
    putArtifactOnce(
      { bucket: evidence.bucket, key: `${prefix}${name}`, name, body, kmsKeyId: evidence.kmsKeyId, contentType },
      { s3: evidence.s3 },
    );
  const artifacts: StoredArtifact[] = [];
  for (const [name, doc] of Object.entries(documents)) artifacts.push(await put(name, `${JSON.stringify(doc, null, 2)}\n`));
  if (code.bytes) artifacts.push(await put('function-code.zip', code.bytes, 'application/zip'));
  return {
    functionName,
    version: rec.version,
    codeSha256: rec.codeSha256,
    ...(code.why ? { codeNotStored: code.why } : {}),
    artifacts,
    actions: published.actions,
  };
}
