import { BlockList, isIP } from 'node:net';

/**
 * Whether an RDS Protection finding is about exposure: the database was reached (a login, or an attempt) from an address
 * outside any private network, so `PubliclyAccessible` off (`public-access.ts`) narrows who can reach it. Decided from the
 * finding alone, never from member tags.
 *
 * GuardDuty's RDS findings name the remote address in `service.action.rdsLoginAttemptAction.remoteIpDetails`
 * ("Indicates that a login attempt was made to the potentially compromised database from a remote IP address":
 * GuardDuty API Reference, RdsLoginAttemptAction, https://docs.aws.amazon.com/guardduty/latest/APIReference/API_RdsLoginAttemptAction.html).
 * AWS grades `CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin` by that address: Low "from an IP address that is
 * associated with a private network", Medium "from a public IP address", High for "a consistent pattern of failed login
 * attempts from public IP addresses indicative of overly permissive access policies" ("RDS Protection finding types",
 * GuardDuty User Guide, https://docs.aws.amazon.com/guardduty/latest/ug/findings-rds-protection.html). The
 * `MaliciousIPCaller` and `TorIPCaller` types name an address on a threat list or a Tor exit node, which are public by
 * their nature (threat lists hold public addresses only: GuardDuty User Guide, "Trusted IP lists and threat lists").
 *
 * Private here: RFC 1918 (10/8, 172.16/12, 192.168/16), the shared address space of RFC 6598 (100.64/10), loopback,
 * link-local, `0.0.0.0/8`, and IPv6 loopback, unspecified, unique-local (fc00::/7) and link-local (fe80::/10). Anything
 * else that parses as an address is public (documentation ranges too: GuardDuty's samples use them).
 */

const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6');

/** The exposure decision and why, in words for the case. */
export interface DbExposure {
  readonly exposed: boolean;
  readonly why: string;
}

/**
 * @param findingType - `detail.type`.
 * @param action - `detail.service.action` as the finding gives it (anything: read field by field).
 * @returns exposed when the finding's remote address is a public one; not exposed when it is private or absent.
 */
export function dbExposureOf(findingType: string, action: unknown): DbExposure {
  const remote = (action as { rdsLoginAttemptAction?: { remoteIpDetails?: { ipAddressV4?: unknown; ipAddressV6?: unknown } } } | undefined)
    ?.rdsLoginAttemptAction?.remoteIpDetails;
  const address = [remote?.ipAddressV4, remote?.ipAddressV6].find((a): a is string => typeof a === 'string' && isIP(a) !== 0);
  if (!address) return { exposed: false, why: `${findingType} names no remote address: not an exposure finding` };
  const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
  if (PRIVATE.check(address, family)) return { exposed: false, why: `the remote address ${address} is private: not an exposure finding` };
  return { exposed: true, why: `the database was reached from the public address ${address}` };
}
