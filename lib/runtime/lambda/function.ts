import {
  FunctionConfiguration,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionUrlConfigCommand,
  GetPolicyCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ListFunctionsCommand,
  ListVersionsByFunctionCommand,
} from '@aws-sdk/client-lambda';
import { ResourceGone } from '../../core/errors';
import { hasAwsCode } from '../aws-errors';
import '../clients/lambda';

/**
 * Reads of a Lambda function (lambda-compromise), each with the Lambda API Reference page it follows
 * (https://docs.aws.amazon.com/lambda/latest/api/). Nothing here changes anything.
 */

/** Every Lambda operation answers a missing function (or version, policy, URL) with this code. */
export const NOT_FOUND = 'ResourceNotFoundException';
/** Pages read at most by each listing (50 items a page for versions and functions, 100 for mappings). */
export const LIST_PAGE_CAP = 100;

/** A function (or one of its versions) as GetFunction describes it. */
export interface FunctionRead {
  readonly configuration: FunctionConfiguration;
  /** `Code.Location`: a presigned URL of the .zip file, valid for up to 10 minutes (absent for an image). */
  readonly codeLocation?: string;
  /** `Code.ImageUri` / `Code.ResolvedImageUri` of a container-image function. */
  readonly imageUri?: string;
  readonly resolvedImageUri?: string;
}

/**
 * GetFunction of a function or one of its versions (`qualifier`): its configuration and where its code is.
 * @throws {ResourceGone} when the function (or the version) no longer exists.
 */
export async function readFunction(lambda: LambdaClient, functionName: string, qualifier?: string): Promise<FunctionRead> {
  try {
    const out = await lambda.send(new GetFunctionCommand({ FunctionName: functionName, Qualifier: qualifier }));
    return {
      configuration: out.Configuration ?? {},
      codeLocation: out.Code?.Location,
      imageUri: out.Code?.ImageUri,
      resolvedImageUri: out.Code?.ResolvedImageUri,
    };
  } catch (err) {
    if (hasAwsCode(err, NOT_FOUND))
      throw new ResourceGone(`Lambda function ${functionName}${qualifier ? `:${qualifier}` : ''} no longer exists`, { cause: err });
    throw err;
  }
}

/**
 * The function's reserved concurrency (GetFunctionConcurrency): a number of concurrent executions (0 throttles every
 * invocation), or `null` when none is reserved (the function draws on the account's unreserved pool).
 * @throws {ResourceGone} when the function no longer exists.
 */
export async function readReservedConcurrency(lambda: LambdaClient, functionName: string): Promise<number | null> {
  try {
    const out = await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName }));
    return out.ReservedConcurrentExecutions ?? null;
  } catch (err) {
    if (hasAwsCode(err, NOT_FOUND)) throw new ResourceGone(`Lambda function ${functionName} no longer exists`, { cause: err });
    throw err;
  }
}

/** Runs a read that answers ResourceNotFoundException when the thing read does not exist: `null` then. */
async function orNull<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (err) {
    if (hasAwsCode(err, NOT_FOUND)) return null;
    throw err;
  }
}

/** The function's resource-based policy text (GetPolicy), or `null` when it has none. */
export function readResourcePolicy(lambda: LambdaClient, functionName: string): Promise<string | null> {
  return orNull(async () => (await lambda.send(new GetPolicyCommand({ FunctionName: functionName }))).Policy ?? null);
}

/** The function URL's configuration (GetFunctionUrlConfig: URL, AuthType, CORS), or `null` when it has no URL. */
export function readFunctionUrlConfig(lambda: LambdaClient, functionName: string): Promise<Record<string, unknown> | null> {
  return orNull(async () => {
    const out: Record<string, unknown> = { ...(await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: functionName }))) };
    delete out.$metadata;
    return out;
  });
}

/** A bounded listing: the items of at most {@link LIST_PAGE_CAP} pages, and whether more were left. */
export interface Listing<T> {
  readonly entries: T[];
  readonly truncated: boolean;
}

/** Reads the pages of a Marker/NextMarker listing, at most {@link LIST_PAGE_CAP}. */
async function listPages<T>(page: (marker?: string) => Promise<{ items?: T[]; next?: string }>): Promise<Listing<T>> {
  const entries: T[] = [];
  let marker: string | undefined;
  for (let n = 0; n < LIST_PAGE_CAP; n++) {
    const out = await page(marker);
    entries.push(...(out.items ?? []));
    marker = out.next;
    if (!marker) return { entries, truncated: false };
  }
  return { entries, truncated: true };
}

/** The function's event source mappings (ListEventSourceMappings: listed only, never changed). */
export function listEventSourceMappings(lambda: LambdaClient, functionName: string) {
  return listPages(async (Marker) => {
    const out = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: functionName, Marker }));
    return { items: out.EventSourceMappings, next: out.NextMarker };
  });
}

/**
 * The function's published versions and `$LATEST` (ListVersionsByFunction).
 * @throws {ResourceGone} when the function no longer exists.
 */
export async function listVersions(lambda: LambdaClient, functionName: string): Promise<Listing<FunctionConfiguration>> {
  try {
    return await listPages(async (Marker) => {
      const out = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: functionName, Marker }));
      return { items: out.Versions, next: out.NextMarker };
    });
  } catch (err) {
    if (hasAwsCode(err, NOT_FOUND)) throw new ResourceGone(`Lambda function ${functionName} no longer exists`, { cause: err });
    throw err;
  }
}

/**
 * The other functions of the account and region whose execution role is `roleArn` (ListFunctions, every page up to
 * the cap; ListFunctions has no filter by role).
 * @returns their names, and `truncated` when the cap stopped the listing (others may share the role).
 */
export async function functionsWithRole(lambda: LambdaClient, roleArn: string, except: string): Promise<Listing<string>> {
  const all = await listPages(async (Marker) => {
    const out = await lambda.send(new ListFunctionsCommand({ Marker }));
    return { items: out.Functions, next: out.NextMarker };
  });
  const names = all.entries.filter((f) => f.Role === roleArn && f.FunctionName !== except).map((f) => f.FunctionName!);
  return { entries: names, truncated: all.truncated };
}

/** The role name of a role ARN (`arn:<partition>:iam::<account>:role/<path/>name`), or undefined when it is not one. */
export function roleNameOf(roleArn: string): string | undefined {
  const m = /^arn:[a-z-]+:iam::\d{12}:role\/(?:.*\/)?([\w+=,.@-]{1,64})$/.exec(roleArn);
  return m?.[1];
}
