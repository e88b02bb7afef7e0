import { createHash } from 'node:crypto';
import { redactEnvironmentValues } from '../../../lib/runtime/ecs/preserve';

const sha = (v: string) => ({ sha256: createHash('sha256').update(v).digest('hex') });

describe('redactEnvironmentValues (ECS task evidence)', () => {
  it('hashes environment values and the values of log, FireLens and volume driver options; keeps names, keys and references', () => {
    const definition = {
      containerDefinitions: [
        {
          name: 'app',
          environment: [{ name: 'DB_PASSWORD', value: 'hunter2' }],
          secrets: [{ name: 'API_KEY', valueFrom: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:api' }],
          logConfiguration: { logDriver: 'splunk', options: { 'splunk-token': 'tok-123', 'splunk-url': 'https://splunk.example' } },
          firelensConfiguration: { type: 'fluentbit', options: { 'config-file-value': 'x' } },
        },
      ],
      volumes: [{ name: 'v', dockerVolumeConfiguration: { driver: 'rexray', driverOpts: { password: 'p4ss' } } }],
    };
    const out = redactEnvironmentValues(definition);
    const text = JSON.stringify(out);
    for (const secret of ['hunter2', 'tok-123', 'p4ss']) expect(text).not.toContain(secret);
    const c = out.containerDefinitions[0];
    expect(c.environment).toEqual([{ name: 'DB_PASSWORD', value: sha('hunter2') }]);
    expect(c.logConfiguration).toEqual({
      logDriver: 'splunk',
      options: { 'splunk-token': sha('tok-123'), 'splunk-url': sha('https://splunk.example') },
    });
    expect(c.secrets).toEqual(definition.containerDefinitions[0].secrets);
    expect(out.volumes[0].dockerVolumeConfiguration.driverOpts).toEqual({ password: sha('p4ss') });
  });
});
