import { dbExposureOf } from '../../../lib/runtime/rds/exposure';
import { readFixtureEvent } from '../../support/findings';

/** Which RDS findings are about exposure: the remote address of the login attempt, never a tag. */
describe('dbExposureOf', () => {
  const fixture = readFixtureEvent('guardduty-rds-medium.json');
  const withAddress = (v4?: unknown, v6?: unknown) => ({
    actionType: 'RDS_LOGIN_ATTEMPT',
    rdsLoginAttemptAction: {
      remoteIpDetails: { ...(v4 !== undefined ? { ipAddressV4: v4 } : {}), ...(v6 !== undefined ? { ipAddressV6: v6 } : {}) },
    },
  });

  it("the fixture's Tor exit node (a public address) is exposure", () => {
    expect(dbExposureOf(fixture.detail.type, fixture.detail.service.action)).toEqual({
      exposed: true,
      why: 'the database was reached from the public address 198.51.100.144',
    });
  });

  it.each(['10.1.2.3', '172.31.255.1', '192.168.0.9', '100.64.1.1', '127.0.0.1', '169.254.169.254', '0.1.2.3'])(
    'a login from the private address %s is not exposure',
    (ip) => {
      expect(dbExposureOf('CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin', withAddress(ip)).exposed).toBe(false);
    },
  );

  it.each(['::1', 'fd00::1', 'fe80::1'])('a login from the private IPv6 address %s is not exposure', (ip) => {
    expect(dbExposureOf('CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin', withAddress(undefined, ip)).exposed).toBe(false);
  });

  it.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '2001:4860::8888'])('a login from the public address %s is exposure', (ip) => {
    const action = ip.includes(':') ? withAddress(undefined, ip) : withAddress(ip);
    expect(dbExposureOf('CredentialAccess:RDS/AnomalousBehavior.SuccessfulBruteForce', action).exposed).toBe(true);
  });

  it.each([undefined, {}, { rdsLoginAttemptAction: {} }, withAddress('not an address'), withAddress(42), 'text'])(
    'no usable remote address is not exposure (%p)',
    (action) => {
      expect(dbExposureOf('CredentialAccess:RDS/TorIPCaller.SuccessfulLogin', action).exposed).toBe(false);
    },
  );
});
