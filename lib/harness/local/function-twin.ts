import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { randomBytes } from 'node:crypto';
import type { GuardDutyEvent } from '../../core/incident/schema';
import type { HarnessClients } from './harness-clients';

/** The twin of a Lambda finding's function, built in the emulator's member account. */
export interface FunctionTwin {
  readonly functionName: string;
  readonly roleName: string;
  /** The .zip the function was created from (its SHA-256 is the function's CodeSha256). */
  readonly code: Buffer;
  /** The function's name and role name in the event → the twin's. */
  readonly idMap: Record<string, string>;
}

/** Whether a finding names a function lambda-compromise acts on: a Lambda finding with `lambdaDetails.functionName`. */
export function namesFunction(event: GuardDutyEvent): boolean {
  const r = event.detail.resource;
  return r.resourceType === 'Lambda' && typeof (r.lambdaDetails as { functionName?: unknown } | undefined)?.functionName === 'string';
}

/** CRC-32 (the .zip format's, ISO 3309) of a buffer. */
function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/**
 * A .zip archive of one file stored without compression (PKWARE APPNOTE: local file header, central directory, end
 * of central directory): a valid deployment package built without a zip library.
 */
export function storedZip(fileName: string, text: string): Buffer {
  const data = Buffer.from(text);
  const name = Buffer.from(fileName);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(local.length + name.length + data.length, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}

/**
 * Builds a twin of a Lambda finding's function (`lambdaDetails.functionName`) in the member account: a function named
 * after it with a unique suffix (one case per function), Python, a one-file .zip, two environment variables (one a
 * "secret" the evidence must not copy), and its own execution role named after the finding's role. The finding's VPC
 * configuration is not reproduced (the emulator needs no network to hold a function). Creating a function needs no
 * Docker in moto; only Invoke does.
 * @returns the twin, or `undefined` when the finding names no function.
 */
export async function buildFunctionTwin(event: GuardDutyEvent, member: HarnessClients): Promise<FunctionTwin | undefined> {
  if (!namesFunction(event)) return undefined;
  const details = event.detail.resource.lambdaDetails as { functionName: string; role?: unknown };
  const name = details.functionName;
  const suffix = randomBytes(3).toString('hex');
  const functionName = `${name.slice(0, 56)}-${suffix}`;
  const findingRole = typeof details.role === 'string' ? details.role.split('/').pop()! : `${name}-role`;
  const roleName = findingRole.includes(name) ? findingRole.split(name).join(functionName) : `${findingRole.slice(0, 56)}-${suffix}`;
  const trust = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  };
  const role = await member.iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(trust) }));
  const code = storedZip('index.py', `def handler(event, context):\n    return "${functionName}"\n`);
  await member.lambda.send(
    new CreateFunctionCommand({
      FunctionName: functionName,
      Runtime: 'python3.12',
      Role: role.Role!.Arn!,
      Handler: 'index.handler',
      Code: { ZipFile: code },
      Environment: { Variables: { REPORT_BUCKET: 'reports', DB_PASSWORD: 'twin-secret-value' } },
    }),
  );
  return {
    functionName,
    roleName,
    code,
    idMap: { [name]: functionName, ...(findingRole.includes(name) ? {} : { [findingRole]: roleName }) },
  };
}
