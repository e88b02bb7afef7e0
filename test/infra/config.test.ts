import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONFIG_CONTEXT_KEY, CONFIG_FILE_CONTEXT_KEY, loadConfig, parseConfig } from '../../lib/core/config';
import { ConfigError } from '../../lib/core/errors';
import { buildApp } from '../../lib/infra/app';
import { SKIP_BUNDLING } from './support';

const context = (values: Record<string, unknown>) => ({ tryGetContext: (key: string) => values[key] });

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('derives the member role names from the prefix unless they are given', () => {
    expect(parseConfig({ prefix: 'blue-team' })).toMatchObject({
      prefix: 'blue-team',
      responderRoleName: 'BlueTeamResponder',
      releaserRoleName: 'BlueTeamReleaser',
    });
    expect(parseConfig({ prefix: 'blue', responderRoleName: 'R' })).toMatchObject({
      responderRoleName: 'R',
      releaserRoleName: 'BlueReleaser',
    });
    expect(() => parseConfig({ prefix: 'Blue' })).toThrow(/prefix: must be 1-20 characters/);
    expect(() => parseConfig({ responderRoleName: 'FirebreakReleaser' })).toThrow(/releaserRoleName: must differ from responderRoleName/);
  });

  it('takes the trail baseline interval in whole minutes from 5 to 1440, and names the key when it is not', () => {
    expect(parseConfig({ trailBaselineIntervalMinutes: 15 }).trailBaselineIntervalMinutes).toBe(15);
    for (const bad of [4, 1441, 7.5, '60'])
      expect(() => parseConfig({ trailBaselineIntervalMinutes: bad })).toThrow(/trailBaselineIntervalMinutes: /);
  });

  it('applies the defaults: single-account mode in us-east-1', () => {
    expect(parseConfig({})).toEqual({
      memberAccountIds: [],
      region: 'us-east-1',
      regions: ['us-east-1'],
      evidenceRetentionDays: 90,
      objectLockMode: 'COMPLIANCE',
      prefix: 'firebreak',
      claimLeaseSeconds: 900,
      approvalTimeoutSeconds: 3600,
      evidenceDeadlineSeconds: 7200,
      removeLoginProfile: false,
      instanceCredentialResponse: 'revoke-sessions',
      revokeInstanceRoleSessions: false,
      revokeSharedLambdaRole: false,
      securityHubWorkflow: 'off',
      catalogOverrides: {},
      severityFloor: 4,
      notFoundGraceSeconds: 30,
      tamperAutomationPrincipals: [],
      trailBaselineIntervalMinutes: 60,
      protection: { tagKey: 'firebreak:protect', instanceIds: [], resourceArns: [], accountIds: [], roleNamePatterns: [] },
      breaker: { perAccount: 5, perOrganization: 20, windowSeconds: 3600 },
      responderRoleName: 'FirebreakResponder',
      releaserRoleName: 'FirebreakReleaser',
    });
  });

  it('validates the brakes (issue 14): each bad value names its key path', () => {
    expect(
      parseConfig({ protection: { instanceIds: ['i-0123456789abcdef0'], roleNamePatterns: ['BreakGlass*'] } }).protection,
    ).toMatchObject({
      tagKey: 'firebreak:protect',
      instanceIds: ['i-0123456789abcdef0'],
      roleNamePatterns: ['BreakGlass*'],
    });
    expect(() => parseConfig({ protection: { instanceIds: ['db-primary'] } })).toThrow(
      /protection\.instanceIds\.0: must be an EC2 instance ID/,
    );
    expect(() => parseConfig({ protection: { accountIds: ['12345'] } })).toThrow(
      /protection\.accountIds\.0: must be a 12-digit AWS account ID/,
    );
    expect(() => parseConfig({ protection: { resourceArns: ['i-0123456789abcdef0'] } })).toThrow(
      /protection\.resourceArns\.0: must be an ARN/,
    );
    expect(() => parseConfig({ protection: { roleNamePatterns: ['a/b'] } })).toThrow(
      /protection\.roleNamePatterns\.0: must be an IAM role name/,
    );
    expect(() => parseConfig({ protection: { tagKey: '' } })).toThrow(/protection\.tagKey: must be an EC2 tag key/);
    expect(() => parseConfig({ protection: { tags: ['x'] } })).toThrow(/unknown key "protection\.tags"/);
    expect(() => parseConfig({ breaker: { perAccount: 0 } })).toThrow(/breaker\.perAccount: /);
    expect(() => parseConfig({ breaker: { perOrganization: 2.5 } })).toThrow(/breaker\.perOrganization: /);
    expect(() => parseConfig({ breaker: { windowSeconds: 30 } })).toThrow(/breaker\.windowSeconds: /);
    expect(() => parseConfig({ breaker: { limit: 3 } })).toThrow(/unknown key "breaker\.limit"/);
  });

  it('accepts a complete multi-account configuration', () => {
    const cfg = parseConfig({
      securityAccountId: '222222222222',
      memberAccountIds: ['111111111111'],
      region: 'eu-west-1',
      evidenceRetentionDays: 365,
      objectLockMode: 'COMPLIANCE',
      notificationEmail: 'soc@example.com',
      claimLeaseSeconds: 600,
      evidenceDeadlineSeconds: 3600,
      responderRoleName: 'IrResponder',
      releaserRoleName: 'IrReleaser',
    });
    expect(cfg.securityAccountId).toBe('222222222222');
    expect(cfg.releaserRoleName).toBe('IrReleaser');
    expect(cfg.objectLockMode).toBe('COMPLIANCE');
  });

  it.each([
    [{ securityAccountId: '12345' }, 'securityAccountId'],
    [{ securityAccountId: '222222222222', memberAccountIds: ['111111111111', 'abc'] }, 'memberAccountIds.1'],
    [{ region: 'Mars' }, 'region'],
    [{ evidenceRetentionDays: 0 }, 'evidenceRetentionDays'],
    [{ evidenceRetentionDays: 1.5 }, 'evidenceRetentionDays'],
    [{ objectLockMode: 'LEGAL_HOLD' }, 'objectLockMode'],
    [{ notificationEmail: 'not-an-address' }, 'notificationEmail'],
    [{ claimLeaseSeconds: '900' }, 'claimLeaseSeconds'],
    [{ evidenceDeadlineSeconds: 6 * 3600 }, 'evidenceDeadlineSeconds'],
    [{ notFoundGraceSeconds: 61 }, 'notFoundGraceSeconds'],
    [{ notFoundGraceSeconds: -1 }, 'notFoundGraceSeconds'],
    [{ responderRoleName: 'has spaces' }, 'responderRoleName'],
    [{ releaserRoleName: 'has spaces' }, 'releaserRoleName'],
    // Separation of duties: release is a separate permission from containment.
    [{ releaserRoleName: 'FirebreakResponder' }, 'releaserRoleName'],
    [{ responderRoleName: 'IrRole', releaserRoleName: 'IrRole' }, 'releaserRoleName'],
    [{ memberAccountIds: ['111111111111'] }, 'memberAccountIds'],
    [{ securityAccountId: '222222222222', memberAccountIds: ['222222222222'] }, 'memberAccountIds'],
  ])('names the bad key in the ConfigError for %j', (raw, key) => {
    const err = configError(() => parseConfig(raw));
    expect(err.message).toContain(`${key}:`);
    expect([err.name, err.code]).toEqual(['ConfigError', 'CONFIG_ERROR']);
  });

  it('rejects unknown keys and names them', () => {
    const err = configError(() => parseConfig({ region: 'us-east-1', securityAcountId: '222222222222' }));
    expect(err.message).toContain('unknown key "securityAcountId"');
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'firebreak-config-'));
    fs.writeFileSync(path.join(dir, 'prod.json'), JSON.stringify({ securityAccountId: '222222222222', evidenceRetentionDays: 30 }));
    fs.writeFileSync(path.join(dir, 'prod.yaml'), 'securityAccountId: "222222222222"\nobjectLockMode: COMPLIANCE\n');
    fs.writeFileSync(path.join(dir, 'bad.yml'), 'evidenceRetentionDays: -1\n');
    fs.writeFileSync(path.join(dir, 'broken.json'), '{ "region": ');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('returns the defaults when the context has no configuration', () => {
    expect(loadConfig(context({}))).toEqual(parseConfig({}));
  });

  it('reads the firebreak context key, also as a JSON string from -c', () => {
    expect(loadConfig(context({ [CONFIG_CONTEXT_KEY]: { region: 'eu-west-1' } })).region).toBe('eu-west-1');
    expect(loadConfig(context({ [CONFIG_CONTEXT_KEY]: '{"region":"eu-west-2"}' })).region).toBe('eu-west-2');
  });

  it('reads a JSON or YAML file named by firebreakConfigFile, relative to cwd, in place of the context key', () => {
    const fromJson = loadConfig(context({ [CONFIG_FILE_CONTEXT_KEY]: 'prod.json', [CONFIG_CONTEXT_KEY]: { region: 'eu-west-1' } }), {
      cwd: dir,
    });
    expect(fromJson).toMatchObject({ securityAccountId: '222222222222', evidenceRetentionDays: 30, region: 'us-east-1' });
    const fromYaml = loadConfig(context({ [CONFIG_FILE_CONTEXT_KEY]: path.join(dir, 'prod.yaml') }));
    expect(fromYaml).toMatchObject({ securityAccountId: '222222222222', objectLockMode: 'COMPLIANCE' });
  });

  it('names the file and the bad key when the file is invalid', () => {
    const err = configError(() => loadConfig(context({ [CONFIG_FILE_CONTEXT_KEY]: 'bad.yml' }), { cwd: dir }));
    expect(err.message).toContain('bad.yml');
    expect(err.message).toContain('evidenceRetentionDays:');
  });

  it('throws a ConfigError for a missing or unparseable file', () => {
    expect(configError(() => loadConfig(context({ [CONFIG_FILE_CONTEXT_KEY]: 'missing.json' }), { cwd: dir })).message).toContain(
      'missing.json',
    );
    expect(configError(() => loadConfig(context({ [CONFIG_FILE_CONTEXT_KEY]: 'broken.json' }), { cwd: dir })).message).toContain(
      'not valid JSON',
    );
  });
});

describe('buildApp configuration', () => {
  it('fails synthesis with a ConfigError that names the bad key', () => {
    const err = configError(() => buildApp({ context: { ...SKIP_BUNDLING, firebreak: { objectLockMode: 'NONE' } } }));
    expect(err.message).toContain('objectLockMode:');
  });
});
