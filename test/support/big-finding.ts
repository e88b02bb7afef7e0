import * as fs from 'node:fs';
import * as path from 'node:path';
import { DescribeInstanceTypesCommand, EC2Client } from '@aws-sdk/client-ec2';

/**
 * A legal GuardDuty EC2 finding of about 250 KB, grown from a documented fixture
 * (fixtures/events/guardduty-ec2-backdoor-two-enis-ipv6.json; see fixtures/README.md) with nothing but more of
 * what the fixture already holds, in the shape GuardDuty gives it:
 * - the instance is a `p4d.24xlarge`, the instance type whose network limits allow the most ENIs with the most
 *   addresses: `MaximumNetworkInterfaces` and `Ipv4AddressesPerInterface` are read from DescribeInstanceTypes
 *   (the emulator's copy of AWS's instance-type data: 60 and 50);
 * - every ENI lists all the private IPv4 addresses its type allows in `privateIpAddresses`
 *   (`{ privateDnsName, privateIpAddress }`, the primary first, as in the fixture), from 10.0.16.0/20 (the
 *   fixture's second subnet taken to be that large);
 * - ENIs are added, each like the fixture's second ENI (same subnet, VPC and security group, no public IP, no
 *   IPv6), until the event is at least `minBytes` of JSON; the last one's secondary addresses are trimmed so
 *   that it stays at most `maxBytes`, within EventBridge's 256 KB ("Calculating Amazon EventBridge PutEvents
 *   event entry size", EventBridge User Guide).
 * Every value is either the fixture's or an ID, name or private address of the same form.
 * @returns the event and how many ENIs and addresses it names.
 */
export async function bigInstanceFinding(
  ec2: EC2Client,
  options: { minBytes?: number; maxBytes?: number } = {},
): Promise<{ event: Record<string, unknown>; enis: number; addresses: number; bytes: number }> {
  const minBytes = options.minBytes ?? 250_000;
  const maxBytes = options.maxBytes ?? 255_000;
  const instanceType = 'p4d.24xlarge';
  const info = (await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [instanceType] }))).InstanceTypes?.[0]?.NetworkInfo;
  const maxEnis = info?.MaximumNetworkInterfaces ?? 0;
  const perEni = info?.Ipv4AddressesPerInterface ?? 0;
  if (maxEnis < 2 || perEni < 2) throw new Error(`no network limits for ${instanceType}`);

  const event = JSON.parse(
    fs.readFileSync(path.resolve(__dirname, '..', '..', 'fixtures', 'events', 'guardduty-ec2-backdoor-two-enis-ipv6.json'), 'utf8'),
  ) as Record<string, unknown>;
  type Eni = {
    networkInterfaceId: string;
    privateDnsName: string;
    privateIpAddress: string;
    privateIpAddresses: { privateDnsName: string; privateIpAddress: string }[];
  } & Record<string, unknown>;
  const details = ((event.detail as Record<string, unknown>).resource as Record<string, unknown>).instanceDetails as {
    instanceType: string;
    networkInterfaces: Eni[];
  };
  details.instanceType = instanceType;
  let next = 4;
  const address = () => {
    const n = next++;
    const ip = `10.0.${16 + Math.floor(n / 256)}.${n % 256}`;
    return { privateDnsName: `ip-${ip.replace(/\./g, '-')}.ec2.internal`, privateIpAddress: ip };
  };
  const fill = (eni: Eni) => {
    while (eni.privateIpAddresses.length < perEni) eni.privateIpAddresses.push(address());
  };
  for (const eni of details.networkInterfaces) fill(eni);
  const template = details.networkInterfaces[1];
  const size = () => Buffer.byteLength(JSON.stringify(event), 'utf8');
  while (size() < minBytes) {
    if (details.networkInterfaces.length >= maxEnis) throw new Error(`${maxEnis} ENIs of ${perEni} addresses make only ${size()} bytes`);
    const primary = address();
    const eni: Eni = {
      ...structuredClone(template),
      networkInterfaceId: `eni-0f1e2d3c4b5a${(0x70000 + details.networkInterfaces.length).toString(16)}`,
      privateDnsName: primary.privateDnsName,
      privateIpAddress: primary.privateIpAddress,
      privateIpAddresses: [primary],
    };
    fill(eni);
    details.networkInterfaces.push(eni);
  }
  const last = details.networkInterfaces[details.networkInterfaces.length - 1];
  while (size() > maxBytes && last.privateIpAddresses.length > 1) last.privateIpAddresses.pop();
  if (size() < minBytes || size() > maxBytes)
    throw new Error(`could not make the finding between ${minBytes} and ${maxBytes} bytes (${size()})`);
  return {
    event,
    enis: details.networkInterfaces.length,
    bytes: size(),
    addresses: details.networkInterfaces.reduce((n, e) => n + e.privateIpAddresses.length, 0),
  };
}
