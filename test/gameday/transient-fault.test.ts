import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { isThrottlingError, isTransientError } from '@smithy/core/retry';
import type { SdkError } from '@smithy/types';
import { Throttled, TransientAwsError } from '../../lib/core/errors';
import { validateDrill } from '../../lib/harness/gameday/drill';
import { describeFault, FAULT_SERVICES, installFaults, TRANSIENT_ANSWERS, transientFaultError } from '../../lib/harness/gameday/faults';
import { instrumentClient } from '../../lib/runtime/clients';
import { mapAwsError } from '../../lib/runtime/aws-errors';

/**
 * The `transient` fault ("every operation at rate r"): injected per HTTP attempt BENEATH the SDK's retry
 * middleware, so the SDK retries it as one of AWS's answers, and an injected attempt is never sent. A stub
 * endpoint counts the requests that reach it. No emulator here.
 */

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const EMPTY_DESCRIBE_INSTANCES =
  '<?xml version="1.0" encoding="UTF-8"?><DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>stub</requestId><reservationSet/></DescribeInstancesResponse>';

let server: http.Server;
let requests = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.once('end', () => {
      requests += 1;
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(EMPTY_DESCRIBE_INSTANCES);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  requests = 0;
});

/** An EC2 client as the client factory builds it (adaptive, 5 attempts), or in standard mode (no client-side rate limiter: faster). */
function ec2(retryMode: 'adaptive' | 'standard' = 'adaptive'): EC2Client {
  const client = new EC2Client({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credentials,
    retryMode,
    maxAttempts: 5,
  });
  instrumentClient(client, 'EC2', '111111111111');
  return client;
}

const noDelete = { deleteResource: () => Promise.reject(new Error('no world here')) };

describe("transient fault (per attempt, beneath the SDK's retry)", () => {
  it('the SDK retries injected attempts: two failed attempts, then the third is sent and succeeds', async () => {
    const installed = installFaults([{ kind: 'transient', operations: '*', rate: 1, times: 2 }], { seed: 't', ...noDelete });
    try {
      const out = await ec2().send(new DescribeInstancesCommand({}));
      expect(out.Reservations ?? []).toEqual([]);
      expect(out.$metadata.attempts).toBe(3);
    } finally {
      installed.remove();
    }
    // Only the attempt that was not faulted reached the endpoint: the injected ones were never sent.
    expect(requests).toBe(1);
    expect(installed.reports()[0]).toMatchObject({ kind: 'transient', operation: '*', injected: 2, matchingCalls: 3 });
  });

  it("a call whose every attempt fails reaches the step once, after the SDK's 5 attempts, mapped by the SDK's classifiers; nothing was sent", async () => {
    const installed = installFaults([{ kind: 'transient', operations: ['EC2.DescribeInstances'], rate: 1 }], { seed: 't', ...noDelete });
    let caught: unknown;
    try {
      await ec2().send(new DescribeInstancesCommand({}));
    } catch (err) {
      caught = err;
    } finally {
      installed.remove();
    }
    expect(caught).toBeDefined();
    expect([Throttled, TransientAwsError].some((t) => caught instanceof t)).toBe(true);
    expect(((caught as Error).cause as { $metadata: { attempts: number } }).$metadata.attempts).toBe(5);
    expect(requests).toBe(0);
    expect(installed.reports()[0]).toMatchObject({ injected: 5, matchingCalls: 5 });
  });

  it('leaves operations it does not name alone', async () => {
    const installed = installFaults([{ kind: 'transient', operations: ['EC2.CopySnapshot'], rate: 1 }], { seed: 't', ...noDelete });
    try {
      await ec2().send(new DescribeInstancesCommand({}));
    } finally {
      installed.remove();
    }
    expect(requests).toBe(1);
    expect(installed.reports()[0]).toMatchObject({ injected: 0, matchingCalls: 0 });
  });

  it('at rate 0.2 over 60 calls, about a fifth of the attempts fail and every call succeeds (seeded: the same counts twice)', async () => {
    const run = async () => {
      const installed = installFaults([{ kind: 'transient', operations: '*', rate: 0.2 }], { seed: 'rate', ...noDelete });
      // Standard mode: the adaptive rate limiter would only slow this loop down (about 0.2 s a call).
      const client = ec2('standard');
      try {
        for (let i = 0; i < 60; i++) await client.send(new DescribeInstancesCommand({}));
      } finally {
        installed.remove();
      }
      return installed.reports()[0];
    };
    const first = await run();
    const sent = requests;
    requests = 0;
    const second = await run();
    expect(sent).toBe(60);
    expect(first.injected / first.matchingCalls).toBeGreaterThan(0.08);
    expect(first.injected / first.matchingCalls).toBeLessThan(0.32);
    expect([second.injected, second.matchingCalls]).toEqual([first.injected, first.matchingCalls]);
  }, 60_000);

  it("every answer it draws is one the SDK's classifiers retry, shaped as the SDK deserializes it", () => {
    for (const service of FAULT_SERVICES) {
      for (let k = 0; k < TRANSIENT_ANSWERS[service].length; k++) {
        const draw = (k + 0.5) / TRANSIENT_ANSWERS[service].length;
        const err = transientFaultError(`${service}.Any`, draw) as SdkError & { $metadata: { httpStatusCode: number } };
        expect(err.name).toBe(TRANSIENT_ANSWERS[service][k][0]);
        expect(err.$metadata.httpStatusCode).toBe(TRANSIENT_ANSWERS[service][k][1]);
        expect(err.$fault).toBe(err.$metadata.httpStatusCode >= 500 ? 'server' : 'client');
        expect(isThrottlingError(err) || isTransientError(err)).toBe(true);
        expect([Throttled, TransientAwsError].some((t) => mapAwsError(err) instanceof t)).toBe(true);
      }
    }
  });

  it("is a drill fault: operations '*' or a list, a rate, described with its layer", () => {
    const file = path.join(__dirname, '..', '..', 'runbooks', 'ec2-compromise', 'drill-test.yaml');
    const doc = (faults: unknown) => ({
      name: 't',
      description: 't',
      runbook: 'ec2-compromise',
      budget: { containSeconds: 60 },
      injections: [
        {
          name: 'one',
          event: '../../fixtures/events/guardduty-ec2-bitcoin-dns.json',
          faults,
          expect: { status: 'SUCCEEDED', outcome: 'CONTAINED', behaviour: 'recover' },
        },
      ],
    });
    const d = validateDrill(doc([{ kind: 'transient', operations: '*', rate: 0.2 }]), file);
    expect(d.injections[0].faults![0]).toEqual({ kind: 'transient', operations: '*', rate: 0.2 });
    expect(describeFault(d.injections[0].faults![0])).toBe(
      "transient every operation (each HTTP attempt at rate 0.2, beneath the SDK's retry)",
    );
    expect(() => validateDrill(doc([{ kind: 'transient', operations: 'EC2.*', rate: 0.2 }]), file)).toThrow(
      /operations: must be '\*' or a list of Service\.Operation/,
    );
    expect(() => validateDrill(doc([{ kind: 'transient', operations: '*' }]), file)).toThrow(/rate/);
    expect(() => validateDrill(doc([{ kind: 'transient', operations: ['Route53.ChangeResourceRecordSets'], rate: 0.2 }]), file)).toThrow(
      /must be Service\.Operation/,
    );
  });
});
