import { applyCatalogOverrides, CATALOG, effectiveCatalog, severityFloorOf } from '../../../lib/core/catalog/catalog';
import { loadRuntimeConfig } from '../../../lib/runtime/config';
import { ConfigError } from '../../../lib/core/errors';
import { parseConfig } from '../../../lib/core/config';

describe('applyCatalogOverrides', () => {
  it('changes only the named entry, and never its routing', () => {
    const out = applyCatalogOverrides({
      'credential-compromise-high': { chainInstanceContainment: true },
      'ec2-compromise-medium': { mode: 'auto' },
    });
    const byId = new Map(out.map((e) => [e.id, e]));
    expect(byId.get('credential-compromise-high')).toEqual({
      ...CATALOG.find((e) => e.id === 'credential-compromise-high'),
      chainInstanceContainment: true,
    });
    expect(byId.get('ec2-compromise-medium')).toEqual({ ...CATALOG.find((e) => e.id === 'ec2-compromise-medium'), mode: 'auto' });
    expect(out.filter((e) => e.id !== 'credential-compromise-high' && e.id !== 'ec2-compromise-medium')).toEqual(
      CATALOG.filter((e) => e.id !== 'credential-compromise-high' && e.id !== 'ec2-compromise-medium'),
    );
    expect(CATALOG.find((e) => e.id === 'credential-compromise-high')).toMatchObject({ chainInstanceContainment: false });
  });

  it('chains into ec2-compromise on no entry by default', () => {
    expect(CATALOG.filter((e) => e.kind === 'guardduty-finding' && e.chainInstanceContainment)).toEqual([]);
  });

  it('rejects an unknown entry and chaining on an entry that cannot chain', () => {
    expect(() => applyCatalogOverrides({ 'no-such-entry': { mode: 'auto' } })).toThrow(/catalogOverrides.no-such-entry: no catalog entry/);
    expect(() => applyCatalogOverrides({ 'ec2-compromise-high': { chainInstanceContainment: true } })).toThrow(
      /only credential-compromise finding entries/,
    );
  });

  it('is read from the Lambda environment, and a bad value is a ConfigError naming the variable', () => {
    const env = {
      FIREBREAK_LEDGER_TABLE: 't',
      FIREBREAK_EVIDENCE_BUCKET: 'b',
      FIREBREAK_EVIDENCE_KEY_ARN: 'arn:aws:kms:us-east-1:222222222222:key/k',
      FIREBREAK_TOPIC_ARN: 'arn:aws:sns:us-east-1:222222222222:t',
      FIREBREAK_SECURITY_ACCOUNT_ID: '222222222222',
    };
    const cfg = loadRuntimeConfig({
      ...env,
      FIREBREAK_CATALOG_OVERRIDES: JSON.stringify({ 'credential-compromise-high': { chainInstanceContainment: true } }),
    });
    expect(cfg.catalog.find((e) => e.id === 'credential-compromise-high')).toMatchObject({ chainInstanceContainment: true });
    expect(loadRuntimeConfig(env).catalog).toEqual(CATALOG);
    expect(() => loadRuntimeConfig({ ...env, FIREBREAK_CATALOG_OVERRIDES: '{"x":{}}' })).toThrow(ConfigError);
    expect(() => loadRuntimeConfig({ ...env, FIREBREAK_CATALOG_OVERRIDES: 'not json' })).toThrow(/FIREBREAK_CATALOG_OVERRIDES/);
  });

  it('is validated in the deployment config at synth time', () => {
    expect(
      parseConfig({ catalogOverrides: { 'credential-compromise-high': { chainInstanceContainment: true } } }).catalogOverrides,
    ).toEqual({ 'credential-compromise-high': { chainInstanceContainment: true } });
    expect(() => parseConfig({ catalogOverrides: { 'typo-entry': { mode: 'auto' } } })).toThrow(/catalogOverrides/);
  });

  it('never lets a notify-only playbook contain, and accepts an override of an entry the floor leaves out', () => {
    expect(() => applyCatalogOverrides({ 'finding-triage': { mode: 'auto' } })).toThrow(/finding-triage never contains/);
    expect(() => applyCatalogOverrides({ 'finding-triage': { mode: 'approval' } })).toThrow(/finding-triage never contains/);
    expect(() => applyCatalogOverrides({ 'root-activity-console': { mode: 'approval' } })).toThrow(/root-activity never contains/);
    const atSeven = effectiveCatalog({ 'ec2-compromise-medium': { mode: 'auto' } }, 7);
    expect(atSeven.map((e) => e.id)).not.toContain('ec2-compromise-medium');
  });

  it('puts an entry in shadow mode, never a notify-only one, and names the key path of a bad mode', () => {
    expect(applyCatalogOverrides({ 'ec2-compromise-high': { mode: 'shadow' } }).find((e) => e.id === 'ec2-compromise-high')).toMatchObject({
      mode: 'shadow',
    });
    expect(() => applyCatalogOverrides({ 'finding-triage': { mode: 'shadow' } })).toThrow(
      /catalogOverrides\.finding-triage\.mode: finding-triage never contains, so it has nothing to plan in shadow/,
    );
    expect(() => parseConfig({ catalogOverrides: { 'ec2-compromise-high': { mode: 'shade' } } })).toThrow(
      /catalogOverrides\.ec2-compromise-high\.mode/,
    );
  });

  it('builds the catalog at the floor the Lambda environment names, and refuses one above High', () => {
    const env = {
      FIREBREAK_LEDGER_TABLE: 't',
      FIREBREAK_EVIDENCE_BUCKET: 'b',
      FIREBREAK_EVIDENCE_KEY_ARN: 'arn:aws:kms:us-east-1:222222222222:key/k',
      FIREBREAK_TOPIC_ARN: 'arn:aws:sns:us-east-1:222222222222:t',
      FIREBREAK_SECURITY_ACCOUNT_ID: '222222222222',
    };
    expect(severityFloorOf(loadRuntimeConfig({ ...env, FIREBREAK_SEVERITY_FLOOR: '2' }).catalog)).toBe(2);
    expect(severityFloorOf(loadRuntimeConfig(env).catalog)).toBe(4);
    expect(() => loadRuntimeConfig({ ...env, FIREBREAK_SEVERITY_FLOOR: '8' })).toThrow(/FIREBREAK_SEVERITY_FLOOR/);
    expect(parseConfig({ severityFloor: 5.5 }).severityFloor).toBe(5.5);
    expect(() => parseConfig({ severityFloor: 7.5 })).toThrow(/severityFloor: must be at most 7/);
  });
});
