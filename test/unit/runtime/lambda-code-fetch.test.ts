import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { codeFetcher, CODE_DOWNLOAD_TIMEOUT_MS } from '../../../lib/runtime/lambda/preserve';

/**
 * lambda-compromise's code download (lib/runtime/lambda/preserve.ts) against a local HTTP server that stalls: the
 * download fails within its timeout (PreserveFunction reports it and goes on) instead of holding the step until its
 * Lambda timeout.
 */
describe('lambda-compromise code download', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/headers-then-stall') {
        res.writeHead(200, { 'content-type': 'application/zip' });
        res.write(Buffer.alloc(16));
      } else if (req.url === '/ok') {
        res.end(Buffer.from('PK-code'));
      }
      // '/stall': never answers.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('leaves time in the step: the default timeout is at most half of PreserveFunction’s 120 s', () => {
    expect(CODE_DOWNLOAD_TIMEOUT_MS).toBeLessThanOrEqual(60_000);
  });

  // Without the timeout the download never settles and the test fails on jest's own 5 s limit.
  it.each(['/stall', '/headers-then-stall'])('a download that stalls (%s) fails with a timeout', async (path) => {
    await expect(codeFetcher(300)(`${url}${path}`, 1024)).rejects.toThrow(/timeout/i);
  });

  it('a download that answers in time is returned whole', async () => {
    expect((await codeFetcher(5_000)(`${url}/ok`, 1024)).toString()).toBe('PK-code');
  });
});
