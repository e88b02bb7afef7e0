import { eniPlacementChecks, networkNotWiderChecks } from '../../local/checks';
import { squatterChecks } from '../world';
import type { Expectation } from './expectation';

/**
 * Whatever happened, no ENI of the instance is more open than before the run (issue 10): a failed containment
 * above all must not leave one on the allow-all untrack group. Read back for every injection that states a
 * behaviour and has a twin instance.
 */
export const networkNotWiderExpectation: Expectation = {
  name: 'network-not-wider',
  phase: 'runs',
  async judge({ session, expect: exp, outcome }) {
    const twin = outcome.world.twin;
    return exp.behaviour && twin ? { checks: await networkNotWiderChecks(session.env.member.ec2, twin) } : {};
  },
};

/** Someone else's groups on Firebreak's names are neither used nor changed, whatever the run did. */
export const squattersExpectation: Expectation = {
  name: 'squatters',
  phase: 'runs',
  async judge({ session, outcome }) {
    const squatters = outcome.world.squatters;
    return squatters?.length ? { checks: await squatterChecks(session, squatters) } : {};
  },
};

/** `expect.networkInterfaces`: the instance's ENIs ended `isolated` or `unchanged`, read back from EC2. */
export const eniPlacementExpectation: Expectation = {
  name: 'network-interfaces',
  phase: 'runs',
  async judge({ session, expect: exp, outcome }) {
    if (!exp.networkInterfaces) return {};
    const twin = outcome.world.twin;
    return {
      checks: twin
        ? await eniPlacementChecks(session.env.member.ec2, twin, exp.networkInterfaces)
        : [{ name: `eni-${exp.networkInterfaces}`, passed: false, details: 'the injection has no twin instance (not an EC2 finding)' }],
    };
  },
};
