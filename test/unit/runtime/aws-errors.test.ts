import { CATALOG } from '../../../lib/core/catalog/catalog';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import { DescribeTableCommand, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { isClockSkewError, isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import type { SdkError } from '@smithy/types';
import fc from 'fast-check';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';

import {
  AccessDenied,
  ConfigError,
  FirebreakError,
  InvalidInput,
  QuotaExceeded,
  ResourceGone,
  Throttled,
  TransientAwsError,
} from '../../../lib/core/errors';
import { mapAwsError } from '../../../lib/runtime/aws-errors';
import { loadRuntimeConfig } from '../../../lib/runtime/config';

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/**
 * A stub AWS endpoint that answers every request with the next canned response, so the SDK's own
 * deserializers build the exceptions (real shapes, not hand-made objects).
 */
function useStubEndpoint(): { readonly endpoint: string; respond(status: number, body: string, contentType: string): void } {
  let server: http.Server | undefined;
  let next = { status: 500, body: '', contentType: 'text/plain' };
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.once('end', () => {
        res.writeHead(next.status, { 'content-type': next.contentType, 'x-amzn-requestid': 'stub' });
        res.end(next.body);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });
  return {
    get endpoint() {
      return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
    },
    respond(status, body, contentType) {
      next = { status, body, contentType };
    },
  };
}

/** Runs `p` and returns what it rejected with; fails the test when it resolves. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, but the call succeeded');
}

function ec2ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>stub</RequestID></Response>`;
}

function ddbErrorJson(code: string, message: string): string {
  return JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${code}`, message });
}

describe('mapAwsError', () => {
  describe('SDK exceptions from an AWS endpoint', () => {
    const stub = useStubEndpoint();
    const ec2 = () => new EC2Client({ region: 'us-east-1', endpoint: stub.endpoint, credentials, maxAttempts: 1 });
    const ddb = () => new DynamoDBClient({ region: 'us-east-1', endpoint: stub.endpoint, credentials, maxAttempts: 1 });

    it.each([
      ['RequestLimitExceeded', 503],
      ['Throttling', 400],
    ])('maps the EC2 throttling code %s to Throttled', async (code, status) => {
      stub.respond(status, ec2ErrorXml(code, 'Request limit exceeded.'), 'text/xml');
      const err = await rejection(ec2().send(new DescribeInstancesCommand({})));

      const mapped = mapAwsError(err, 'EC2.DescribeInstances');

      expect(mapped).toBeInstanceOf(Throttled);
      expect((mapped as Error).name).toBe('Throttled');
      expect((mapped as Error).message).toContain('EC2.DescribeInstances');
      expect((mapped as Error).cause).toBe(err);
    });

    it.each(['ThrottlingException', 'ProvisionedThroughputExceededException'])(
      'maps the DynamoDB throttling code %s to Throttled',
      async (code) => {
        stub.respond(400, ddbErrorJson(code, 'Rate exceeded'), 'application/x-amz-json-1.0');
        const err = await rejection(ddb().send(new DescribeTableCommand({ TableName: 't' })));

        expect(mapAwsError(err)).toBeInstanceOf(Throttled);
      },
    );

    it.each([
      ['UnauthorizedOperation', 403],
      ['AuthFailure', 401],
    ])('maps the EC2 code %s to AccessDenied', async (code, status) => {
      stub.respond(status, ec2ErrorXml(code, 'You are not authorized to perform this operation.'), 'text/xml');
      const err = await rejection(ec2().send(new DescribeInstancesCommand({})));

      const mapped = mapAwsError(err, 'EC2.DescribeInstances');

      expect(mapped).toBeInstanceOf(AccessDenied);
      expect((mapped as Error).name).toBe('AccessDenied');
      expect((mapped as Error).cause).toBe(err);
    });

    it('maps the DynamoDB code AccessDeniedException to AccessDenied', async () => {
      stub.respond(400, ddbErrorJson('AccessDeniedException', 'not authorized'), 'application/x-amz-json-1.0');
      const err = await rejection(ddb().send(new DescribeTableCommand({ TableName: 't' })));

      expect(mapAwsError(err)).toBeInstanceOf(AccessDenied);
    });

    it.each([
      ['InternalServerError', 500],
      ['ServiceUnavailable', 503],
      ['SomethingNew', 502],
    ])('maps the 5xx DynamoDB error %s to TransientAwsError', async (code, status) => {
      stub.respond(status, ddbErrorJson(code, 'try again'), 'application/x-amz-json-1.0');
      const err = await rejection(ddb().send(new DescribeTableCommand({ TableName: 't' })));

      const mapped = mapAwsError(err, 'DynamoDB.DescribeTable');

      expect(mapped).toBeInstanceOf(TransientAwsError);
      expect((mapped as Error).name).toBe('TransientAwsError');
      expect((mapped as Error).cause).toBe(err);
    });

    it('maps an EC2 500 Unavailable to TransientAwsError', async () => {
      stub.respond(500, ec2ErrorXml('Unavailable', 'The server is overloaded.'), 'text/xml');
      const err = await rejection(ec2().send(new DescribeInstancesCommand({})));

      expect(mapAwsError(err)).toBeInstanceOf(TransientAwsError);
    });

    it.each([
      ['InvalidInstanceID.NotFound', 400],
      ['InvalidParameterValue', 400],
    ])('returns the 4xx EC2 error %s unchanged', async (code, status) => {
      stub.respond(status, ec2ErrorXml(code, 'no'), 'text/xml');
      const err = await rejection(ec2().send(new DescribeInstancesCommand({})));

      expect(mapAwsError(err)).toBe(err);
    });

    it('returns a DynamoDB ResourceNotFoundException unchanged', async () => {
      stub.respond(400, ddbErrorJson('ResourceNotFoundException', 'Requested resource not found'), 'application/x-amz-json-1.0');
      const err = await rejection(ddb().send(new DescribeTableCommand({ TableName: 't' })));

      expect(mapAwsError(err)).toBe(err);
    });
  });

  describe('network failures', () => {
    it('maps a refused connection from the SDK to TransientAwsError', async () => {
      const client = new DynamoDBClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials, maxAttempts: 1 });
      const err = await rejection(client.send(new DescribeTableCommand({ TableName: 't' })));

      expect(mapAwsError(err, 'DynamoDB.DescribeTable')).toBeInstanceOf(TransientAwsError);
    });

    it('maps a reset connection (Node error code ECONNRESET) to TransientAwsError', () => {
      const err = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

      expect(mapAwsError(err)).toBeInstanceOf(TransientAwsError);
    });

    it("maps the SDK's TimeoutError to TransientAwsError", () => {
      const err = Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' });

      expect(mapAwsError(err)).toBeInstanceOf(TransientAwsError);
    });
  });

  describe('errors that are not AWS errors', () => {
    it.each([
      ['InvalidInput', new InvalidInput('bad event')],
      ['ResourceGone', new ResourceGone('i-1 is terminated')],
      ['Throttled', new Throttled('already mapped')],
    ])('passes a FirebreakError (%s) through as the same object', (_name, err) => {
      expect(mapAwsError(err)).toBe(err);
      expect(mapAwsError(err, 'EC2.DescribeInstances')).toBe(err);
    });

    it('passes a FirebreakError through even when its name looks like an AWS code', () => {
      class ThrottlingException extends FirebreakError {}
      const err = new ThrottlingException('not from AWS');
      expect(mapAwsError(err)).toBe(err);
    });

    it.each([
      ['a TypeError', new TypeError('x is undefined')],
      ['a plain Error', new Error('boom')],
      ['a string', 'boom'],
      ['undefined', undefined],
    ])('returns %s unchanged', (_label, err) => {
      expect(mapAwsError(err)).toBe(err);
    });

    it('uses an exception class from the SDK by its name, like the deserialized ones', () => {
      const err = new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
      expect(mapAwsError(err)).toBeInstanceOf(Throttled);
    });
  });
});

/**
 * The codes the SDK's retry classifiers name (`@smithy/core/retry`, the former
 * `@smithy/service-error-classification`, at the installed version). The library does not export its lists,
 * so they are written out here as its source and the SDKs' retry documentation give them ("Retry behavior",
 * AWS SDKs and Tools Reference Guide; boto3's "Retries" guide lists the same throttling and transient codes);
 * the first test checks the library still classifies each one as written.
 */
const SDK_THROTTLING_CODES = [
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
];
const SDK_TRANSIENT_CODES = ['TimeoutError', 'RequestTimeout', 'RequestTimeoutException'];
const SDK_TRANSIENT_STATUSES = [500, 502, 503, 504];
const SDK_NODE_ERRNOS = ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'];
/** Clock-skew codes that are not in Firebreak's denial table (AccessDeniedException and AuthFailure are denials first). */
const SDK_CLOCK_SKEW_CODES = [
  'InvalidSignatureException',
  'RequestExpired',
  'RequestInTheFuture',
  'RequestTimeTooSkewed',
  'SignatureDoesNotMatch',
];
const DENIALS = [
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthFailure',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
];

/** An exception shaped as the SDK deserializes one: `name` is the code, `$fault`, `$metadata.httpStatusCode`. */
function sdkException(name: string, status: number, message = 'from AWS'): SdkError {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? ('server' as const) : ('client' as const),
    $metadata: { httpStatusCode: status, attempts: 5 },
    cause: undefined,
  });
}

describe("mapAwsError follows the SDK's own retry classifiers", () => {
  it('the documented codes are the ones the installed classifiers recognise', () => {
    for (const code of SDK_THROTTLING_CODES) expect(isThrottlingError(sdkException(code, 400))).toBe(true);
    for (const code of SDK_TRANSIENT_CODES) expect(isTransientError(sdkException(code, 400))).toBe(true);
    for (const status of SDK_TRANSIENT_STATUSES) expect(isTransientError(sdkException('Whatever', status))).toBe(true);
    for (const code of SDK_CLOCK_SKEW_CODES) expect(isClockSkewError(sdkException(code, 400))).toBe(true);
    expect(isServerError(sdkException('NotImplemented', 501))).toBe(true);
  });

  it('every throttling code, with any status, message and operation, maps to Throttled', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SDK_THROTTLING_CODES),
        fc.constantFrom(400, 403, 429, 500, 503),
        fc.string(),
        fc.constantFrom('EC2.CopySnapshot', 'SNS.Publish', 'DynamoDB.UpdateItem', undefined),
        (code, status, message, operation) => {
          const err = sdkException(code, status, message);
          const mapped = mapAwsError(err, operation);
          expect(mapped).toBeInstanceOf(Throttled);
          expect((mapped as Error).cause).toBe(err);
        },
      ),
    );
  });

  it("IAM's quota error (LimitExceeded, 409) is QuotaExceeded, not the throttling the SDK's list makes of its name", async () => {
    const { LimitExceededException } = await import('@aws-sdk/client-iam');
    const err = new LimitExceededException({ message: 'Cannot exceed quota for PoliciesPerUser: 10', $metadata: { httpStatusCode: 409 } });
    expect(isThrottlingError(err as unknown as SdkError)).toBe(true);
    for (const operation of ['IAM.AttachUserPolicy', 'IAM.PutRolePolicy', undefined]) {
      const mapped = mapAwsError(err, operation);
      expect(mapped).toBeInstanceOf(QuotaExceeded);
      expect((mapped as Error).cause).toBe(err);
    }
    // Kinesis-style throttling under the same name, from another service, stays Throttled.
    expect(mapAwsError(sdkException('LimitExceededException', 400), 'DynamoDB.UpdateItem')).toBeInstanceOf(Throttled);
  });

  it('HTTP 429 with any code that is not a denial maps to Throttled', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Z][A-Za-z]{2,30}$/).filter((c) => !DENIALS.includes(c)),
        (code) => {
          expect(mapAwsError(sdkException(code, 429))).toBeInstanceOf(Throttled);
        },
      ),
    );
  });

  it('every transient code, every 5xx, and every clock-skew code maps to TransientAwsError (or Throttled when the code throttles)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SDK_TRANSIENT_CODES, ...SDK_CLOCK_SKEW_CODES), fc.constantFrom(400, 408), (code, status) => {
        expect(mapAwsError(sdkException(code, status), 'S3.PutObject')).toBeInstanceOf(TransientAwsError);
      }),
    );
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Z][A-Za-z]{2,30}$/).filter((c) => !DENIALS.includes(c)),
        fc.integer({ min: 500, max: 599 }),
        (code, status) => {
          const mapped = mapAwsError(sdkException(code, status));
          expect(mapped).toBeInstanceOf(SDK_THROTTLING_CODES.includes(code) ? Throttled : TransientAwsError);
        },
      ),
    );
  });

  it('every Node errno the SDK retries maps to TransientAwsError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SDK_NODE_ERRNOS), fc.string(), (errno, message) => {
        expect(mapAwsError(Object.assign(new Error(message), { code: errno }))).toBeInstanceOf(TransientAwsError);
      }),
    );
  });

  it("a denial stays a denial whatever the status (Firebreak's table comes before the clock-skew list)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...DENIALS), fc.constantFrom(400, 401, 403, 500), (code, status) => {
        expect(mapAwsError(sdkException(code, status))).toBeInstanceOf(AccessDenied);
      }),
    );
  });

  it('the documented wait-and-retry codes the SDK does not list are retried: EC2 snapshot limits (a member can provoke them), IAM ConcurrentModification, DynamoDB TransactionConflict', () => {
    for (const code of [
      'SnapshotCreationPerVolumeRateExceeded',
      'ConcurrentSnapshotLimitExceeded',
      'ResourceLimitExceeded',
      'ConcurrentModification',
    ]) {
      expect([code, isThrottlingError(sdkException(code, 400))]).toEqual([code, false]);
      expect([code, mapAwsError(sdkException(code, 400), 'EC2.CreateSnapshots') instanceof Throttled]).toEqual([code, true]);
    }
    expect(mapAwsError(sdkException('TransactionConflictException', 400), 'DynamoDB.UpdateItem')).toBeInstanceOf(TransientAwsError);
  });

  it("SNS throttling is retried: the wire code Throttled, the SDK's ThrottledException (in its throttling list)", async () => {
    const { ThrottledException } = await import('@aws-sdk/client-sns');
    // As the SDK raises it from a query-protocol answer: the exception's name, and the wire code in `Code`.
    const err = Object.assign(new ThrottledException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }), {
      Code: 'Throttled',
    });
    expect(isThrottlingError(err as unknown as SdkError)).toBe(true);
    const mapped = mapAwsError(err, 'SNS.Publish');
    expect(mapped).toBeInstanceOf(Throttled);
    expect((mapped as Error).cause).toBe(err);
  });

  it('a 4xx code the SDK does not retry is returned unchanged', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          'InvalidInstanceID.NotFound',
          'ConditionalCheckFailedException',
          'NoSuchEntity',
          'InvalidParameterValue',
          'ValidationException',
        ),
        fc.constantFrom(400, 404, 409),
        (code, status) => {
          const err = sdkException(code, status);
          expect(mapAwsError(err)).toBe(err);
        },
      ),
    );
  });

  it('reads a query-protocol error by its Code when its name differs', () => {
    const err = Object.assign(new Error('slow down'), {
      name: 'ServiceException',
      Code: 'PriorRequestNotComplete',
      $metadata: { httpStatusCode: 400 },
    });
    expect(mapAwsError(err)).toBeInstanceOf(Throttled);
  });

  it("maps EC2ThrottledException (missing from Firebreak's old table) to Throttled", () => {
    const err = sdkException('EC2ThrottledException', 502);
    expect(mapAwsError(err)).toBeInstanceOf(Throttled);
  });
});

describe('loadRuntimeConfig', () => {
  const VALID: NodeJS.ProcessEnv = {
    FIREBREAK_LEDGER_TABLE: 'firebreak-ledger',
    FIREBREAK_EVIDENCE_BUCKET: 'firebreak-evidence-222222222222-us-east-1',
    FIREBREAK_EVIDENCE_KEY_ARN: 'arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    FIREBREAK_TOPIC_ARN: 'arn:aws:sns:us-east-1:222222222222:firebreak-notifications',
    FIREBREAK_SECURITY_ACCOUNT_ID: '222222222222',
  };

  function configError(env: NodeJS.ProcessEnv): Error {
    try {
      loadRuntimeConfig(env);
    } catch (err) {
      return err as Error;
    }
    throw new Error('expected loadRuntimeConfig to throw');
  }

  it('reads a complete environment and fills the documented defaults', () => {
    expect(loadRuntimeConfig(VALID)).toEqual({
      ledgerTable: 'firebreak-ledger',
      evidenceBucket: 'firebreak-evidence-222222222222-us-east-1',
      evidenceKeyArn: VALID.FIREBREAK_EVIDENCE_KEY_ARN,
      transitKeyAlias: 'alias/firebreak-evidence-transit',
      topicArn: VALID.FIREBREAK_TOPIC_ARN,
      responderRoleName: 'FirebreakResponder',
      releaserRoleName: 'FirebreakReleaser',
      securityAccountId: '222222222222',
      claimLeaseSeconds: 900,
      evidenceDeadlineSeconds: 7200,
      removeLoginProfile: false,
      instanceCredentialResponse: 'revoke-sessions',
      revokeInstanceRoleSessions: false,
      revokeSharedLambdaRole: false,
      securityHubWorkflow: 'off',
      eventBusName: 'firebreak',
      approvalTimeoutSeconds: 3600,
      notFoundGraceSeconds: 30,
      tamperAutomationPrincipals: [],
      memberAccountIds: [],
      protection: { tagKey: 'firebreak:protect', instanceIds: [], resourceArns: [], accountIds: [], roleNamePatterns: [] },
      breaker: { perAccount: 5, perOrganization: 20, windowSeconds: 3600 },
      evidenceRetentionDays: 90,
      objectLockMode: 'COMPLIANCE',
      catalog: CATALOG,
      ec2PlaybookArn: undefined,
      endpoint: undefined,
      sfnEndpoint: undefined,
      region: 'us-east-1',
    });
  });

  it('reads the releaser role name, an empty value meaning the default', () => {
    expect(loadRuntimeConfig({ ...VALID, FIREBREAK_RELEASER_ROLE_NAME: 'IrReleaser' }).releaserRoleName).toBe('IrReleaser');
    expect(loadRuntimeConfig({ ...VALID, FIREBREAK_RELEASER_ROLE_NAME: '' }).releaserRoleName).toBe('FirebreakReleaser');
  });

  it('reads the member accounts as a JSON array of account IDs, and names the variable when it is not one', () => {
    expect(loadRuntimeConfig({ ...VALID, FIREBREAK_MEMBER_ACCOUNT_IDS: '["111111111111"]' }).memberAccountIds).toEqual(['111111111111']);
    for (const bad of ['["1111"]', '111111111111', '{"a":1}'])
      expect(configError({ ...VALID, FIREBREAK_MEMBER_ACCOUNT_IDS: bad }).message).toMatch(/FIREBREAK_MEMBER_ACCOUNT_IDS/);
  });

  it('reads numbers from their string form', () => {
    const config = loadRuntimeConfig({ ...VALID, FIREBREAK_CLAIM_LEASE_SECONDS: '30', FIREBREAK_EVIDENCE_DEADLINE_SECONDS: '600' });
    expect(config.claimLeaseSeconds).toBe(30);
    expect(config.evidenceDeadlineSeconds).toBe(600);
  });

  it.each([
    'FIREBREAK_LEDGER_TABLE',
    'FIREBREAK_EVIDENCE_BUCKET',
    'FIREBREAK_EVIDENCE_KEY_ARN',
    'FIREBREAK_TOPIC_ARN',
    'FIREBREAK_SECURITY_ACCOUNT_ID',
  ])('throws ConfigError naming %s when it is missing', (name) => {
    const env = { ...VALID };
    delete env[name];

    const err = configError(env);

    expect(err).toBeInstanceOf(ConfigError);
    expect(err.name).toBe('ConfigError');
    expect(err.message).toContain(name);
  });

  it.each([
    ['FIREBREAK_SECURITY_ACCOUNT_ID', '2222'],
    ['FIREBREAK_EVIDENCE_KEY_ARN', 'alias/firebreak-evidence'],
    ['FIREBREAK_TRANSIT_KEY_ALIAS', 'firebreak-evidence-transit'],
    ['FIREBREAK_CLAIM_LEASE_SECONDS', 'soon'],
    ['FIREBREAK_CLAIM_LEASE_SECONDS', '-1'],
    ['FIREBREAK_EVIDENCE_DEADLINE_SECONDS', '0'],
    ['FIREBREAK_AWS_ENDPOINT', 'not a url'],
    ['FIREBREAK_LEDGER_TABLE', ''],
  ])('throws ConfigError naming %s when it is %j', (name, value) => {
    const err = configError({ ...VALID, [name]: value });

    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(name);
  });
});
