import type { Instance } from '@aws-sdk/client-ec2';
import { carriedDescription, MAX_CARRIED_DESCRIPTION_BYTES } from '../../../lib/runtime/evidence/instance-description';
import { INCIDENT_MAX_BYTES } from '../../../lib/core/incident/normalize';
import { payloadBytes, STATE_PAYLOAD_LIMIT_BYTES } from '../../../lib/harness/local/runner';
import { ContainResultSchema } from '../../../lib/core/contracts/containment-results';

/** An instance description with `enis` ENIs of `addresses` IPv6 addresses each (a p4d has 15 ENIs, 50 each). */
function instanceWith(enis: number, addresses: number): Instance {
  return {
    InstanceId: 'i-0123456789abcdef0',
    InstanceType: 'p4d.24xlarge',
    LaunchTime: new Date('2026-12-03T10:00:00Z'),
    NetworkInterfaces: Array.from({ length: enis }, (_, n) => ({
      NetworkInterfaceId: `eni-${String(n).padStart(17, '0')}`,
      Groups: [{ GroupId: 'sg-0123456789abcdef0', GroupName: 'web' }],
      PrivateIpAddresses: Array.from({ length: addresses }, (_, k) => ({ PrivateIpAddress: `10.0.${n}.${k}`, Primary: k === 0 })),
      Ipv6Addresses: Array.from({ length: addresses }, (_, k) => ({ Ipv6Address: `2600:1f18:0:${n.toString(16)}::${k.toString(16)}` })),
    })),
  };
}

describe('the instance description Contain carries for CollectArtifacts (issue 13)', () => {
  it('carries a description that fits, as JSON, labelled with when Contain took it', () => {
    const takenAt = new Date('2026-12-03T10:05:00Z');
    const out = carriedDescription(instanceWith(2, 2), takenAt);
    expect(out.preContainmentDescription).toMatchObject({ takenAt: takenAt.toISOString(), takenBy: 'Contain' });
    expect(out.preContainmentDescription?.instance.LaunchTime).toBe('2026-12-03T10:00:00.000Z');
    expect(ContainResultSchema.shape.preContainmentDescription.safeParse(out.preContainmentDescription).success).toBe(true);
  });

  it('carries none over 64 KiB (a p4d-sized description): CollectArtifacts then describes the instance itself', () => {
    const big = instanceWith(15, 50);
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(MAX_CARRIED_DESCRIPTION_BYTES);
    expect(carriedDescription(big, new Date())).toEqual({});
  });

  it('keeps the largest description it carries beside a 64 KiB incident far under the Step Functions state quota', () => {
    // The largest description carried: grow one until the next ENI would not fit.
    let enis = 1;
    while (carriedDescription(instanceWith(enis + 1, 20), new Date()).preContainmentDescription) enis += 1;
    const carried = carriedDescription(instanceWith(enis, 20), new Date()).preContainmentDescription!;
    expect(payloadBytes(carried)).toBeLessThanOrEqual(MAX_CARRIED_DESCRIPTION_BYTES + 200);
    const state = { incident: { padding: 'x'.repeat(INCIDENT_MAX_BYTES) }, contain: { preContainmentDescription: carried } };
    expect(payloadBytes(state)).toBeLessThan(STATE_PAYLOAD_LIMIT_BYTES / 2);
  });
});
