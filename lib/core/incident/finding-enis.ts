/**
 * The ENI IDs a GuardDuty finding names (`detail.resource.instanceDetails.networkInterfaces`), read by
 * Normalize from the event (the later steps take them from the incident: `resource.networkInterfaceIds`);
 * IDs that are not of the form `eni-<hex>` are left out; empty for anything else.
 */
export function findingNetworkInterfaceIds(event: unknown): string[] {
  const details = (event as { detail?: { resource?: { instanceDetails?: { networkInterfaces?: unknown } } } } | undefined)?.detail?.resource
    ?.instanceDetails;
  const list = Array.isArray(details?.networkInterfaces) ? details.networkInterfaces : [];
  return list
    .map((n) => (n && typeof n === 'object' ? (n as { networkInterfaceId?: unknown }).networkInterfaceId : undefined))
    .filter((id): id is string => typeof id === 'string' && /^eni-[0-9a-f]{1,64}$/.test(id));
}
