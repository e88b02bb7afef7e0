import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

import { CreateQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

import { EmulatorUnavailable, InvalidInput } from '../../lib/core/errors';
import {
  emulatorPaths,
  ensureEmulatorInstalled,
  PYTHON_REQUIRED_MESSAGE,
  resetEmulator,
  startEmulator,
} from '../../lib/harness/local/emulator';
import { useEmulator } from '../support/emulator';

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

function sts(endpoint: string, account?: string): STSClient {
  const client = new STSClient({ region: 'us-east-1', endpoint, credentials });
  if (account) {
    client.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers['x-moto-account-id'] = account;
        return next(args);
      },
      { step: 'build', name: 'motoAccount' },
    );
  }
  return client;
}

async function callerAccount(endpoint: string, account?: string): Promise<string | undefined> {
  return (await sts(endpoint, account).send(new GetCallerIdentityCommand({}))).Account;
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
  });
}

describe('startEmulator', () => {
  describe('a started emulator', () => {
    const emulator = useEmulator();

    it('listens on a loopback port and answers HTTP', async () => {
      expect(emulator.endpoint).toBe(`http://127.0.0.1:${emulator.port}`);
      expect(emulator.port).toBeGreaterThan(0);
      await expect(get(`${emulator.endpoint}/moto-api/`)).resolves.toBe(200);
    });

    it('sends requests that name no account to the security account 222222222222', async () => {
      await expect(callerAccount(emulator.endpoint)).resolves.toBe('222222222222');
    });

    it('still lets the x-moto-account-id header pick another account', async () => {
      await expect(callerAccount(emulator.endpoint, '111111111111')).resolves.toBe('111111111111');
    });

    it('loses all state on resetEmulator', async () => {
      const sqs = new SQSClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials });
      await sqs.send(new CreateQueueCommand({ QueueName: 'reset-me' }));
      expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls).toHaveLength(1);
      await resetEmulator(emulator.endpoint);
      expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).toHaveLength(0);
    });
  });

  it('runs two emulators at once on different ports, each with its own default account', async () => {
    const [a, b] = await Promise.all([startEmulator(), startEmulator({ defaultAccountId: '111111111111' })]);
    try {
      expect(a.port).not.toBe(b.port);
      await expect(callerAccount(a.endpoint)).resolves.toBe('222222222222');
      await expect(callerAccount(b.endpoint)).resolves.toBe('111111111111');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('stops the server: connections are refused afterwards, and stopping again is harmless', async () => {
    const emulator = await startEmulator();
    await expect(get(`${emulator.endpoint}/moto-api/`)).resolves.toBe(200);
    await emulator.stop();
    await expect(get(`${emulator.endpoint}/moto-api/`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(emulator.stop()).resolves.toBeUndefined();
  });

  it('rejects a default account that is not 12 digits', async () => {
    await expect(startEmulator({ defaultAccountId: '1234' })).rejects.toBeInstanceOf(InvalidInput);
  });
});

describe('resetEmulator', () => {
  it('throws EmulatorUnavailable when nothing listens at the endpoint', async () => {
    const emulator = await startEmulator();
    await emulator.stop();
    await expect(resetEmulator(emulator.endpoint)).rejects.toBeInstanceOf(EmulatorUnavailable);
  });
});

describe('ensureEmulatorInstalled', () => {
  let tmp: string;

  beforeEach(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'firebreak-emulator-'));
    await fs.mkdir(path.join(tmp, 'emulator'));
    await fs.writeFile(path.join(tmp, 'emulator', 'requirements.txt'), 'moto[server]==5.2.5\n');
  });

  afterEach(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  /**
   * A stand-in for python3: answers the version probe, creates a venv whose `python` records each
   * pip call in calls.log, so install/no-op decisions can be counted without the network.
   */
  async function fakePython(): Promise<{ command: string; pipCalls: () => Promise<number> }> {
    const log = path.join(tmp, 'calls.log');
    const command = path.join(tmp, 'fake-python3');
    await fs.writeFile(
      command,
      `#!/usr/bin/env bash
if [ "$1" = "-c" ]; then echo "3.11"; exit 0; fi
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin"
  printf '#!/usr/bin/env bash\\necho "pip $*" >> "%s"\\nsleep 0.3\\n' "${log}" > "$3/bin/python"
  chmod +x "$3/bin/python"
  exit 0
fi
exit 1
`,
      { mode: 0o755 },
    );
    const pipCalls = async () => (await fs.readFile(log, 'utf8').catch(() => '')).split('\n').filter((l) => l.startsWith('pip')).length;
    return { command, pipCalls };
  }

  it('throws EmulatorUnavailable with one line saying what to install when python is missing', async () => {
    const failure = ensureEmulatorInstalled({
      projectRoot: tmp,
      pythonCommand: path.join(tmp, 'no-such-python3'),
    });
    await expect(failure).rejects.toBeInstanceOf(EmulatorUnavailable);
    await expect(failure).rejects.toThrow(PYTHON_REQUIRED_MESSAGE);
    const message = await failure.catch((err: Error) => err.message);
    expect(message).toBe(PYTHON_REQUIRED_MESSAGE);
    expect(message).not.toContain('\n');
    await expect(fs.access(emulatorPaths(tmp).venvDir)).rejects.toThrow();
  });

  it('installs once, is a no-op afterwards, and reinstalls when requirements.txt changes', async () => {
    const { command, pipCalls } = await fakePython();
    const paths = emulatorPaths(tmp);

    await expect(ensureEmulatorInstalled({ projectRoot: tmp, pythonCommand: command })).resolves.toEqual({
      python: paths.python,
    });
    expect(await pipCalls()).toBe(1);
    await ensureEmulatorInstalled({ projectRoot: tmp, pythonCommand: command });
    expect(await pipCalls()).toBe(1);

    await fs.appendFile(paths.requirements, 'pytest==9.2.0\n');
    await ensureEmulatorInstalled({ projectRoot: tmp, pythonCommand: command });
    expect(await pipCalls()).toBe(2);
  });

  it('installs only once when called concurrently', async () => {
    const { command, pipCalls } = await fakePython();
    await Promise.all(Array.from({ length: 4 }, () => ensureEmulatorInstalled({ projectRoot: tmp, pythonCommand: command })));
    expect(await pipCalls()).toBe(1);
    await expect(fs.access(emulatorPaths(tmp).lock)).rejects.toThrow(); // the lock is released
  });

  it('returns the project venv python at once when it is already installed', async () => {
    // Already installed: nothing is logged (no venv, no pip, no lock) and the stamp file is not rewritten.
    const stampBefore = await fs.stat(emulatorPaths().stamp);
    const logged: string[] = [];
    const { python } = await ensureEmulatorInstalled({ log: (line) => logged.push(line) });
    expect(python).toBe(emulatorPaths().python);
    expect(execFileSync(python, ['-c', 'import moto; print(moto.__version__)']).toString().trim()).toBe('5.2.5');
    expect(logged).toEqual([]);
    expect((await fs.stat(emulatorPaths().stamp)).mtimeMs).toBe(stampBefore.mtimeMs);
  });
});
