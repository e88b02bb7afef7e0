import { Construct } from 'constructs';
import { FirebreakConfig } from '../core/config';
import { MemberAccountStack } from './member-account-stack';
import { addMemberStackSet, FirebreakMemberStackSet } from './member-stack-set';
import { FirebreakNames } from './names';
import { memberStackParts, MemberStackParts } from './regions';
import { SecurityAccountStack } from './security-account-stack';
import { SecurityRegionStack } from './security-region';

/** The stacks a deployment adds beyond its home region's two (docs/ARCHITECTURE.md, "Regions"). */
export interface RegionalStacks {
  /** The member stacks of the other regions (and of the global service events' region), in `memberStackParts` order. */
  readonly members: readonly MemberAccountStack[];
  /** The security stacks of the other responding regions, in `config.regions` order. */
  readonly securityRegions: readonly SecurityRegionStack[];
  /** The StackSets of the other member stacks (with `organization.memberStackSet`): `<Prefix>Member-regions`, then the global service events region's (see `stackSetGroups`). */
  readonly memberStackSets: readonly FirebreakMemberStackSet[];
}

/** How {@link addRegionalStacks} names a stack: its construct ID and its stack name. */
export type StackIdentity = (kind: 'member' | 'security', region: string, stackName: string) => { id: string; stackName?: string };

/**
 * What the home region's member stack holds (the roles always; see `memberStackParts`).
 * @param config - the validated configuration.
 */
export function homeMemberParts(config: FirebreakConfig): MemberStackParts {
  return memberStackParts(config)[0].parts;
}

/**
 * Adds, beside the home region's `<Prefix>Security` and `<Prefix>Member`, one `<Prefix>Member-<region>` per other region
 * of `memberStackParts` (the transit key and forwarding rules, or only the global service events' rules), one
 * `<Prefix>Security-<region>` per other responding region (GuardDuty findings forwarded home), and, with
 * `organization.memberStackSet`, a StackSet per other member stack in the home security stack.
 * @param scope - where the stacks go (the app, or the `Firebreak` construct).
 * @param config - the validated configuration.
 * @param security - the home security stack (the StackSets' administrator).
 * @param identity - each stack's construct ID and name.
 * @returns the stacks and StackSets added.
 * @throws {ConfigError} as the stacks' constructs do.
 */
export function addRegionalStacks(
  scope: Construct,
  config: FirebreakConfig,
  security: SecurityAccountStack,
  identity: StackIdentity,
): RegionalStacks {
  const names = new FirebreakNames(config.prefix);
  const members = memberStackParts(config)
    .slice(1)
    .map(({ region, parts }) => {
      const { id, stackName } = identity('member', region, names.memberStackIn(region));
      return new MemberAccountStack(scope, id, {
        stackName,
        // No region named: the regions with these parts share one template (and one StackSet).
        description: parts.regional
          ? `Firebreak member account, a region other than ${config.region}: the evidence transit key and the event forwarding${parts.globalEvents ? ', with the global service events' : ''} (the roles are in ${names.memberStack})`
          : `Firebreak member account, region ${region}: the forwarding of the global service events (IAM, STS, sign-in)`,
        env: { region },
        config,
        parts,
      });
    });
  const securityRegions = config.regions
    .filter((r) => r !== config.region)
    .map((region) => {
      const { id, stackName } = identity('security', region, names.securityStackIn(region));
      return new SecurityRegionStack(scope, id, {
        stackName,
        description: `Firebreak security account, region ${region}: GuardDuty findings forwarded to ${config.region}`,
        env: { account: config.securityAccountId, region },
        config,
      });
    });
  const memberStackSets = stackSetGroups(members, memberStackParts(config).slice(1), names).flatMap(
    (g) => addMemberStackSet(security, g.members[0], config, g.id, { regions: g.members.map((m) => m.region), stackSetName: g.name }) ?? [],
  );
  return { members, securityRegions, memberStackSets };
}

/**
 * The StackSets of the other regions' member stacks: one for every region that holds only the transit key and the regional
 * forwarding rules (`<Prefix>Member-regions`: their templates are the same, test/infra/multi-region.test.ts), one for the
 * global service events' region (`<Prefix>Member-<region>`). One StackSet per region took the home security stack over
 * CloudFormation's 500 resources (and its 1 MB template) from about 19 regions ("CloudFormation quotas").
 * @param members - the other regions' member stacks, in `memberStackParts` order.
 * @param parts - what each holds (`memberStackParts(config).slice(1)`, the same order).
 */
function stackSetGroups(
  members: readonly MemberAccountStack[],
  parts: readonly { parts: MemberStackParts }[],
  names: FirebreakNames,
): { id: string; name?: string; members: MemberAccountStack[] }[] {
  const plain = members.filter((_, i) => parts[i].parts.regional && !parts[i].parts.globalEvents);
  const others = members.filter((m) => !plain.includes(m));
  return [
    ...(plain.length > 0 ? [{ id: 'MemberStackSet-regions', name: `${names.memberStack}-regions`, members: plain }] : []),
    ...others.map((m) => ({ id: `MemberStackSet-${m.region}`, members: [m] })),
  ];
}
