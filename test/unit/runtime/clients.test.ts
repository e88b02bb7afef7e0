import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { LOCAL_CREDENTIALS } from '../../../lib/harness/local/accounts';
import { harnessClients } from '../../../lib/harness/local/harness-clients';
import { ClientFactory, memberRoleArn } from '../../../lib/runtime/clients';
// The factory builds a service's client with the maker its module registered (what a step's code imports with the commands it sends).
import '../../../lib/runtime/clients/ec2';
// Member-account credentials: what a module that calls `clients.member` imports (STS AssumeRole).
import '../../../lib/runtime/clients/assume-role';
import { ConfigError } from '../../../lib/core/errors';
import { ApiCallRecord, subscribeApiCalls } from '../../../lib/runtime/telemetry';
import { useEmulator } from '../../support/emulator';

const MEMBER = '111111111111';
const SECURITY = '222222222222';

describe('ClientFactory.member', () => {
  const emulator = useEmulator();
  let factory: ClientFactory;

  beforeAll(async () => {
    const iam = harnessClients(emulator.endpoint, MEMBER).iam;
    for (const RoleName of ['FirebreakResponder', 'FirebreakReleaser']) {
      await iam.send(
        new CreateRoleCommand({
          RoleName,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${SECURITY}:root` }, Action: 'sts:AssumeRole' }],
          }),
        }),
      );
    }
    factory = new ClientFactory({
      region: 'us-east-1',
      securityAccountId: SECURITY,
      endpoint: emulator.endpoint,
      responderRoleName: 'FirebreakResponder',
      credentials: async () => ({ ...LOCAL_CREDENTIALS }),
    });
  });

  /** Who the member clients act as, from STS GetCallerIdentity with their credentials. */
  async function callerOf(clients: ReturnType<ClientFactory['member']>): Promise<string | undefined> {
    const credentials = await clients.ec2.config.credentials();
    const sts = new STSClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials });
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  }

  it('assumes the responder role by default, and the role given in the options instead', async () => {
    const responder = factory.member(MEMBER);
    const releaser = factory.member(MEMBER, 'us-east-1', { roleName: 'FirebreakReleaser' });
    expect(responder.roleName).toBe('FirebreakResponder');
    expect(releaser.roleName).toBe('FirebreakReleaser');
    expect(await callerOf(responder)).toBe(`arn:aws:sts::${MEMBER}:assumed-role/FirebreakResponder/firebreak-responder`);
    expect(await callerOf(releaser)).toBe(`arn:aws:sts::${MEMBER}:assumed-role/FirebreakReleaser/firebreak-FirebreakReleaser`);
  });

  it('assumes the role in the security account too (single-account mode): the step roles hold nothing else', async () => {
    const same = factory.member(SECURITY, 'us-east-1');
    expect(same.roleName).toBe('FirebreakResponder');
    expect(await callerOf(same)).toBe(`arn:aws:sts::${SECURITY}:assumed-role/FirebreakResponder/firebreak-responder`);
  });

  it('builds a client only for a service whose module was loaded, and says which when none was', () => {
    // Nothing in this test's module graph loads lib/runtime/clients/sns.ts or kms.ts: a bundle without them has no SNS or KMS client.
    expect(() => factory.security().sns).toThrow(ConfigError);
    expect(() => factory.member(MEMBER).kms).toThrow(/lib\/runtime\/clients\//);
    expect(factory.member(MEMBER).ec2).toBe(factory.member(MEMBER).ec2);
  });

  it('assumes no role without clients/assume-role.ts: a step acting in no member account loads no credential provider', () => {
    let Fresh: typeof ClientFactory | undefined;
    jest.isolateModules(() => {
      // A copy of the factory whose module graph registered no member credentials (as in normalize-finding's bundle).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      Fresh = (require('../../../lib/runtime/clients') as { ClientFactory: typeof ClientFactory }).ClientFactory;
    });
    const fresh = new Fresh!({ region: 'us-east-1', securityAccountId: SECURITY });
    const missing = { name: 'ConfigError', message: expect.stringMatching(/lib\/runtime\/clients\/assume-role/) };
    expect(() => fresh.member(MEMBER)).toThrow(expect.objectContaining(missing));
  });

  it('caches clients per account, region and role', () => {
    const responder = factory.member(MEMBER);
    expect(factory.member(MEMBER, 'us-east-1')).toBe(responder);
    expect(factory.member(MEMBER, 'us-east-1', { roleName: 'FirebreakResponder' })).toBe(responder);
    expect(factory.member(MEMBER, 'us-east-1', { roleName: 'FirebreakReleaser' })).not.toBe(responder);
    expect(factory.member(MEMBER, 'eu-west-1')).not.toBe(responder);
  });

  it('limits a session to the actions given: AssumeRole carries the session policy, and the limited clients are cached apart', async () => {
    // A recording proxy in front of the emulator (moto accepts the session policy but does not evaluate it; what
    // a session policy allows is proven with iam-simulate in test/infra/session-policy.test.ts).
    const assumeRoles: URLSearchParams[] = [];
    const proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const params = new URLSearchParams(body.toString('utf8'));
        if (params.get('Action') === 'AssumeRole') assumeRoles.push(params);
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length')) as Record<
          string,
          string
        >;
        fetch(`${emulator.endpoint}${req.url ?? '/'}`, { method: req.method, headers, body: body.length ? body : undefined })
          .then(async (r) => {
            res.writeHead(r.status, Object.fromEntries(r.headers.entries()));
            res.end(Buffer.from(await r.arrayBuffer()));
          })
          .catch((err: Error) => {
            res.writeHead(502);
            res.end(err.message);
          });
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const recorded = new ClientFactory({
        region: 'us-east-1',
        securityAccountId: SECURITY,
        endpoint,
        responderRoleName: 'FirebreakResponder',
        credentials: async () => ({ ...LOCAL_CREDENTIALS }),
      });
      const limited = recorded.member(MEMBER, 'us-east-1', { sessionActions: ['iam:ListUserTags', 'ec2:DescribeInstances'] });
      expect(limited).not.toBe(recorded.member(MEMBER));
      expect(recorded.member(MEMBER, 'us-east-1', { sessionActions: ['ec2:DescribeInstances', 'iam:ListUserTags'] })).toBe(limited);
      await limited.ec2.send(new DescribeInstancesCommand({}));
      await recorded.member(MEMBER).ec2.send(new DescribeInstancesCommand({}));
      expect(assumeRoles).toHaveLength(2);
      expect(JSON.parse(assumeRoles[0].get('Policy')!)).toEqual({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['ec2:DescribeInstances', 'iam:ListUserTags'], Resource: '*' }],
      });
      expect(assumeRoles[1].get('Policy')).toBeNull();
      expect(assumeRoles.map((p) => p.get('RoleArn'))).toEqual([
        `arn:aws:iam::${MEMBER}:role/FirebreakResponder`,
        `arn:aws:iam::${MEMBER}:role/FirebreakResponder`,
      ]);
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });

  it('reports the role each call acted through', async () => {
    const records: ApiCallRecord[] = [];
    const unsubscribe = subscribeApiCalls((r) => records.push(r));
    try {
      await factory.member(MEMBER, 'us-east-1', { roleName: 'FirebreakReleaser' }).ec2.send(new DescribeInstancesCommand({}));
      await factory.member(MEMBER).ec2.send(new DescribeInstancesCommand({}));
    } finally {
      unsubscribe();
    }
    expect(records.map((r) => [r.operation, r.account, r.role])).toEqual([
      ['EC2.DescribeInstances', MEMBER, 'FirebreakReleaser'],
      ['EC2.DescribeInstances', MEMBER, 'FirebreakResponder'],
    ]);
  });
});

describe('memberRoleArn', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['eu-central-2', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['cn-northwest-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
  ])('names the role in the partition of %s (%s), never a hard-coded aws', (region, partition) => {
    expect(memberRoleArn(MEMBER, 'FirebreakResponder', region)).toBe(`arn:${partition}:iam::${MEMBER}:role/FirebreakResponder`);
  });
});
