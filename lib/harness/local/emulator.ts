/**
 * The local AWS emulator: moto with Firebreak's extension (`emulator/firebreak_moto`), run from a
 * project-local Python venv.
 *
 * - {@link ensureEmulatorInstalled} creates `.firebreak/venv` and installs `emulator/requirements.txt`
 *   on first use, and again whenever that file changes.
 * - {@link startEmulator} runs `emulator/server.py` on a free loopback port and waits until it answers.
 * - {@link resetEmulator} wipes the emulator's state.
 *
 * See DESIGN.md §5 and TOOLCHAIN.md ("moto").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

import { EmulatorUnavailable, InvalidInput } from '../../core/errors';
import { PROJECT_ROOT } from '../../core/project-root';

/** The security account, the emulator's default account unless told otherwise. */
export const DEFAULT_EMULATOR_ACCOUNT_ID = '222222222222';

/** The one line shown when no usable Python is found. */
export const PYTHON_REQUIRED_MESSAGE =
  'Python 3.9+ with venv is required for the local emulator: install python3 and python3-venv ' +
  '(Debian: apt-get install python3 python3-venv)';

const MIN_PYTHON: readonly [number, number] = [3, 9];
const DEFAULT_START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const LOCK_STALE_MS = 20 * 60_000;
const LOCK_WAIT_MS = 20 * 60_000;
const STDERR_TAIL_LINES = 40;

/** A callback that receives one human-readable progress line (no trailing newline). */
export type LogLine = (line: string) => void;

/** Absolute paths of the emulator's files inside a project. */
export interface EmulatorPaths {
  /** The project root (the folder holding `package.json` and `emulator/`). */
  readonly projectRoot: string;
  /** `.firebreak/`: local state, ignored by git. */
  readonly stateDir: string;
  /** `.firebreak/venv/`: the emulator's Python virtual environment. */
  readonly venvDir: string;
  /** `.firebreak/venv/bin/python`: the interpreter that runs the emulator. */
  readonly python: string;
  /** `emulator/requirements.txt`: the pinned Python packages. */
  readonly requirements: string;
  /** `.firebreak/venv/.firebreak-requirements.sha256`: SHA-256 of the installed requirements file. */
  readonly stamp: string;
  /** `.firebreak/emulator-install.lock/`: held (a directory) while one process installs. */
  readonly lock: string;
  /** `emulator/server.py`: the launcher that applies Firebreak's moto patches and serves. */
  readonly server: string;
}

/**
 * The paths of the emulator's files.
 *
 * @param projectRoot - the project root; defaults to the root of this checkout (two levels above
 *   `lib/harness/local/`).
 * @returns absolute paths; nothing is checked or created.
 */
export function emulatorPaths(projectRoot: string = defaultProjectRoot()): EmulatorPaths {
  const root = path.resolve(projectRoot);
  const stateDir = path.join(root, '.firebreak');
  const venvDir = path.join(stateDir, 'venv');
  return {
    projectRoot: root,
    stateDir,
    venvDir,
    python: path.join(venvDir, 'bin', 'python'),
    requirements: path.join(root, 'emulator', 'requirements.txt'),
    stamp: path.join(venvDir, '.firebreak-requirements.sha256'),
    lock: path.join(stateDir, 'emulator-install.lock'),
    server: path.join(root, 'emulator', 'server.py'),
  };
}

/** Options of {@link ensureEmulatorInstalled}. */
export interface EnsureEmulatorOptions {
  /** The project root. @default the root of this checkout */
  readonly projectRoot?: string;
  /** Receives progress lines (venv creation, pip install). @default discard */
  readonly log?: LogLine;
  /**
   * The system Python used to create the venv (a command on PATH or a path).
   * @default 'python3'
   */
  readonly pythonCommand?: string;
}

/**
 * Makes sure `.firebreak/venv` exists and holds the packages pinned in `emulator/requirements.txt`.
 *
 * The first call creates the venv (`python3 -m venv`) and runs `pip install -r`; it then writes the
 * requirements file's SHA-256 to a stamp file, so later calls only hash the file and return. When
 * the file changes, the next call installs again. Concurrent callers (jest workers, several CLIs)
 * serialise on a lock directory in `.firebreak/`, so only one of them installs.
 *
 * @param opts - see {@link EnsureEmulatorOptions}.
 * @returns `python`: absolute path of the venv's interpreter.
 * @throws {EmulatorUnavailable} when Python 3.9+ with venv support is missing (the message is the
 *   one line {@link PYTHON_REQUIRED_MESSAGE}), when `emulator/requirements.txt` is missing, when pip
 *   fails (the message ends with pip's last error line), or when another process held the install
 *   lock for more than 20 minutes.
 */
export async function ensureEmulatorInstalled(opts: EnsureEmulatorOptions = {}): Promise<{ python: string }> {
  const paths = emulatorPaths(opts.projectRoot);
  const log = opts.log ?? noop;
  const digest = await requirementsDigest(paths);
  if (await isInstalled(paths, digest)) return { python: paths.python };

  await fs.mkdir(paths.stateDir, { recursive: true });
  const release = await acquireLock(paths.lock, log);
  try {
    // Another process may have installed while this one waited for the lock.
    if (await isInstalled(paths, digest)) return { python: paths.python };
    if (!existsSync(paths.python)) {
      await createVenv(paths, opts.pythonCommand ?? 'python3', log);
    }
    log(`installing ${path.relative(paths.projectRoot, paths.requirements)} into ${paths.venvDir}`);
    const pip = await run(paths.python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', '-r', paths.requirements]);
    if (pip.code !== 0) {
      throw new EmulatorUnavailable(
        `pip install -r emulator/requirements.txt failed (exit ${pip.code}): ${lastLine(pip.stderr || pip.stdout)}`,
      );
    }
    await fs.writeFile(paths.stamp, `${digest}\n`);
    log('emulator installed');
    return { python: paths.python };
  } finally {
    await release();
  }
}

/** A running emulator. */
export interface Emulator {
  /** Base URL of the emulator, e.g. `http://127.0.0.1:43817`; use it as every SDK client's endpoint. */
  readonly endpoint: string;
  /** The TCP port it listens on (loopback only). */
  readonly port: number;
  /** The account that requests go to when they name no other (header or AssumeRole credentials). */
  readonly defaultAccountId: string;
  /**
   * Stops the server: SIGTERM to its process group, then SIGKILL after 5 s, and resolves once the
   * process has exited. Idempotent; never rejects. For an emulator whose state is still wanted until the end
   * (moto keeps it in memory only, so there is nothing to flush; the grace lets it end its requests).
   */
  stop(): Promise<void>;
  /**
   * Ends a throwaway server at once: SIGKILL to its process group, resolved once the process has exited.
   * For a caller that reads nothing more from it (a game day's or a replay's own emulator): moto's graceful exit
   * (its SIGTERM handler raises SystemExit in the serving loop, then Python tears its modules down) takes
   * 1–2 s of wall time. Idempotent; never rejects; after {@link Emulator.stop} it waits for that stop.
   */
  kill(): Promise<void>;
}

/** Options of {@link startEmulator}. */
export interface StartEmulatorOptions extends EnsureEmulatorOptions {
  /**
   * The default account (12 digits): used by requests without an `x-moto-account-id` header or
   * credentials from STS AssumeRole. Passed to the server as `MOTO_ACCOUNT_ID`.
   * @default '222222222222' (the security account)
   */
  readonly defaultAccountId?: string;
  /** How long to wait for the server to answer HTTP, in milliseconds. @default 30000 */
  readonly startTimeoutMs?: number;
  /**
   * Called as soon as the server process is spawned, before it answers: the caller can do its own work while the
   * server boots (moto takes about a second to import), e.g. load modules. Called again if a taken port makes it
   * spawn another one.
   */
  readonly onSpawn?: () => void;
}

/**
 * Starts a fresh emulator (moto with Firebreak's extension) on a free loopback port.
 *
 * Installs the venv first if needed ({@link ensureEmulatorInstalled}), spawns
 * `.firebreak/venv/bin/python emulator/server.py --host 127.0.0.1 --port P` and waits until it
 * answers HTTP. The server exits when {@link Emulator.stop} is called, when this Node process exits
 * (an `exit` handler kills it), and when this process dies in any other way (the server watches its
 * stdin pipe and exits at EOF), so no server is left behind.
 *
 * @param opts - see {@link StartEmulatorOptions}.
 * @returns the running {@link Emulator}.
 * @throws {InvalidInput} when `defaultAccountId` is not 12 digits.
 * @throws {EmulatorUnavailable} when the emulator cannot be installed (see
 *   {@link ensureEmulatorInstalled}), or the server exits or does not answer within
 *   `startTimeoutMs`; the message ends with the tail of the server's stderr.
 */
export async function startEmulator(opts: StartEmulatorOptions = {}): Promise<Emulator> {
  const defaultAccountId = opts.defaultAccountId ?? DEFAULT_EMULATOR_ACCOUNT_ID;
  if (!/^\d{12}$/.test(defaultAccountId)) {
    throw new InvalidInput(`defaultAccountId must be 12 digits, got "${defaultAccountId}"`);
  }
  const { python } = await ensureEmulatorInstalled(opts);
  const paths = emulatorPaths(opts.projectRoot);
  const log = opts.log ?? noop;
  const timeoutMs = opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const amisPath = await ensureAmisFile(python, paths);

  // The port is free when picked but could be taken before the server binds it: try a new one.
  const attempts = 3;
  for (let attempt = 1; ; attempt += 1) {
    const port = await freeLoopbackPort();
    try {
      return await launch({ python, paths, port, defaultAccountId, timeoutMs, log, amisPath, onSpawn: opts.onSpawn });
    } catch (err) {
      const portTaken = err instanceof EmulatorUnavailable && /address already in use/i.test(err.message);
      if (!portTaken || attempt >= attempts) throw err;
      log(`port ${port} was taken, retrying on another port`);
    }
  }
}

/**
 * Wipes all state in an emulator (every account, region and service), as a fresh start would.
 *
 * Calls moto's `POST /moto-api/reset`. Firebreak's patches stay installed.
 *
 * @param endpoint - the emulator's base URL ({@link Emulator.endpoint}).
 * @throws {EmulatorUnavailable} when the emulator does not answer or answers other than 200.
 */
export async function resetEmulator(endpoint: string): Promise<void> {
  let status: number;
  try {
    status = await httpStatus('POST', `${endpoint.replace(/\/+$/, '')}/moto-api/reset`, 10_000);
  } catch (err) {
    throw new EmulatorUnavailable(`could not reset the emulator at ${endpoint}: ${errorText(err)}`, {
      cause: err,
    });
  }
  if (status !== 200) {
    throw new EmulatorUnavailable(`resetting the emulator at ${endpoint} answered HTTP ${status}`);
  }
}

// ---------------------------------------------------------------------------------------------
// installation

function defaultProjectRoot(): string {
  return PROJECT_ROOT;
}

async function requirementsDigest(paths: EmulatorPaths): Promise<string> {
  let content: Buffer;
  try {
    content = await fs.readFile(paths.requirements);
  } catch (err) {
    throw new EmulatorUnavailable(`emulator requirements not found: ${paths.requirements}`, {
      cause: err,
    });
  }
  return createHash('sha256').update(content).digest('hex');
}

async function isInstalled(paths: EmulatorPaths, digest: string): Promise<boolean> {
  if (!existsSync(paths.python)) return false;
  try {
    return (await fs.readFile(paths.stamp, 'utf8')).trim() === digest;
  } catch {
    return false;
  }
}

async function createVenv(paths: EmulatorPaths, pythonCommand: string, log: LogLine): Promise<void> {
  const probe = await run(pythonCommand, ['-c', 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])']).catch(
    (err: unknown) => {
      throw new EmulatorUnavailable(PYTHON_REQUIRED_MESSAGE, { cause: err });
    },
  );
  if (probe.code !== 0) {
    throw new EmulatorUnavailable(PYTHON_REQUIRED_MESSAGE, {
      cause: new Error(`${pythonCommand}: ${lastLine(probe.stderr)}`),
    });
  }
  const [major, minor] = probe.stdout.trim().split('.').map(Number);
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    throw new EmulatorUnavailable(PYTHON_REQUIRED_MESSAGE, {
      cause: new Error(`${pythonCommand} is Python ${probe.stdout.trim()}`),
    });
  }
  log(`creating ${paths.venvDir} with ${pythonCommand} (Python ${probe.stdout.trim()})`);
  await fs.rm(paths.venvDir, { recursive: true, force: true });
  const venv = await run(pythonCommand, ['-m', 'venv', paths.venvDir]);
  if (venv.code !== 0) {
    await fs.rm(paths.venvDir, { recursive: true, force: true });
    throw new EmulatorUnavailable(PYTHON_REQUIRED_MESSAGE, {
      cause: new Error(`${pythonCommand} -m venv: ${lastLine(venv.stderr || venv.stdout)}`),
    });
  }
}

/**
 * Takes the install lock (a directory: `mkdir` is atomic). A lock whose owner process is gone, or
 * that is older than 20 minutes, is stale and is taken over.
 */
async function acquireLock(lockDir: string, log: LogLine): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      await fs.mkdir(lockDir);
      await fs.writeFile(path.join(lockDir, 'pid'), String(process.pid));
      return async () => {
        await fs.rm(lockDir, { recursive: true, force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new EmulatorUnavailable(`cannot create the install lock ${lockDir}: ${errorText(err)}`, {
          cause: err,
        });
      }
    }
    if (await isStaleLock(lockDir)) {
      await fs.rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new EmulatorUnavailable(
        `another process has held the emulator install lock for too long: remove ${lockDir} if no install is running`,
      );
    }
    if (!announced) {
      log('waiting for another process to finish installing the emulator');
      announced = true;
    }
    await sleep(250);
  }
}

async function isStaleLock(lockDir: string): Promise<boolean> {
  try {
    const stat = await fs.stat(lockDir);
    if (Date.now() - stat.mtimeMs > LOCK_STALE_MS) return true;
    const pid = Number((await fs.readFile(path.join(lockDir, 'pid'), 'utf8')).trim());
    if (!Number.isInteger(pid) || pid <= 0) {
      // The owner has created the directory but not yet written its pid: give it a moment.
      return Date.now() - stat.mtimeMs > 10_000;
    }
    return !isAlive(pid);
  } catch {
    return false; // it vanished or is being written: look again
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// ---------------------------------------------------------------------------------------------
// the AMIs the emulator starts with

/** The region whose latest Amazon Linux AMIs the emulator holds (the local world's region, lib/harness/local/accounts.ts). */
const AMIS_REGION = 'us-east-1';

/**
 * The AMIs every EC2 backend of the emulator starts with: moto's own list of public AMIs (`ec2/resources/amis.json`)
 * and its latest Amazon Linux AMIs of {@link AMIS_REGION}, without the 1,227 ECS-optimized AMIs moto also loads
 * by default. moto 5.2.5 creates every default AMI, and a snapshot for each, in every account and region it serves
 * (`AmiBackend._load_amis`); its DescribeSnapshots and DescribeImages then filter and serialize them all on every
 * call (each resource's tags looked up among all tags), which made most of the emulator's CPU time in a game day.
 * No Firebreak code reads an ECS-optimized AMI: the twins take the first non-Windows EBS image, the sandbox
 * stand-in the latest Amazon Linux 2023 one. moto reads `MOTO_AMIS_PATH` instead of its defaults when it is set
 * (`moto/ec2/models/amis.py`), for every region; the file is written once per installed requirements, from the
 * venv's moto. Left alone when the caller's environment sets `MOTO_AMIS_PATH` or `MOTO_EC2_LOAD_DEFAULT_AMIS`.
 * @returns the file's path, or undefined when the caller's environment chose.
 * @throws {EmulatorUnavailable} when moto's AMI lists cannot be read.
 */
async function ensureAmisFile(python: string, paths: EmulatorPaths): Promise<string | undefined> {
  if (process.env.MOTO_AMIS_PATH !== undefined || process.env.MOTO_EC2_LOAD_DEFAULT_AMIS !== undefined) return undefined;
  const digest = (await fs.readFile(paths.stamp, 'utf8').catch(() => 'unstamped')).trim().slice(0, 16);
  const file = path.join(paths.venvDir, `.firebreak-amis-${AMIS_REGION}-${digest}.json`);
  if (existsSync(file)) return file;
  const tmp = `${file}.${process.pid}.tmp`;
  const script = [
    'import json, sys',
    'from moto.utilities.utils import load_resource',
    `amis = load_resource("ec2/resources/amis.json") + load_resource("ec2/resources/latest_amis/${AMIS_REGION}.json")`,
    'json.dump(amis, open(sys.argv[1], "w"))',
  ].join('\n');
  const out = await run(python, ['-c', script, tmp]);
  if (out.code !== 0) {
    await fs.rm(tmp, { force: true });
    throw new EmulatorUnavailable(`could not read moto's AMI lists (exit ${out.code}): ${lastLine(out.stderr || out.stdout)}`);
  }
  await fs.rename(tmp, file);
  return file;
}

// ---------------------------------------------------------------------------------------------
// the server process

interface LaunchArgs {
  /** The AMIs every EC2 backend starts with ({@link ensureAmisFile}); undefined: moto's default. */
  amisPath?: string;
  onSpawn?: () => void;
  python: string;
  paths: EmulatorPaths;
  port: number;
  defaultAccountId: string;
  timeoutMs: number;
  log: LogLine;
}

async function launch(args: LaunchArgs): Promise<Emulator> {
  const { python, paths, port, defaultAccountId, timeoutMs, log, amisPath, onSpawn } = args;
  const endpoint = `http://127.0.0.1:${port}`;
  log(`starting emulator on ${endpoint} (default account ${defaultAccountId})`);
  const child = spawn(python, [paths.server, '--host', '127.0.0.1', '--port', String(port), '--exit-on-stdin-eof'], {
    cwd: paths.projectRoot,
    env: { ...process.env, MOTO_ACCOUNT_ID: defaultAccountId, PYTHONUNBUFFERED: '1', ...(amisPath ? { MOTO_AMIS_PATH: amisPath } : {}) },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true, // own process group, so stop() can signal the whole group
  });
  const tail = new LineTail(STDERR_TAIL_LINES);
  child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk.toString('utf8')));
  child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk.toString('utf8')));
  child.stdin?.on('error', noop); // EPIPE when the server has already gone
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  track(child);
  onSpawn?.();

  const started = Date.now();
  try {
    await waitUntilAnswering(endpoint, child, spawnError, timeoutMs);
  } catch (err) {
    await terminate(child, exited);
    const detail = tail.text();
    throw new EmulatorUnavailable(`${errorText(err)}${detail ? `; server stderr (tail): ${detail}` : ''}`, { cause: err });
  }
  // Keep the server's pipes drained but let Node exit while the server runs; the exit handler
  // and the stdin watchdog stop it then.
  child.unref();
  unrefStreams(child);
  log(`emulator ready on ${endpoint} in ${Date.now() - started} ms`);

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port,
    defaultAccountId,
    stop: () => {
      stopping ??= terminate(child, exited).then(() => log(`emulator on ${endpoint} stopped`));
      return stopping;
    },
    kill: () => {
      stopping ??= terminate(child, exited, 'SIGKILL').then(() => log(`emulator on ${endpoint} killed`));
      return stopping;
    },
  };
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, spawnError: Promise<Error>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let failure: Error | undefined;
  void spawnError.then((err) => {
    failure = new EmulatorUnavailable(`could not run the emulator: ${err.message}`, { cause: err });
  });
  for (;;) {
    if (failure) throw failure;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new EmulatorUnavailable(
        `the emulator exited before answering (${child.exitCode !== null ? `exit ${child.exitCode}` : child.signalCode})`,
      );
    }
    try {
      await httpStatus('GET', `${endpoint}/moto-api/`, 1_000);
      return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new EmulatorUnavailable(`the emulator did not answer on ${endpoint} within ${timeoutMs} ms`);
    }
    await sleep(100);
  }
}

async function terminate(child: ChildProcess, exited: Promise<void>, first: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  const alive = child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  if (alive) {
    child.ref(); // keep Node alive until the server has exited
    signal(child, first);
    const timer = setTimeout(() => signal(child, 'SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
  child.stdin?.destroy();
  child.stdout?.destroy();
  child.stderr?.destroy();
  untrack(child);
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig); // the process group (detached: true)
  } catch {
    try {
      child.kill(sig);
    } catch {
      // already gone
    }
  }
}

function unrefStreams(child: ChildProcess): void {
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
}

/*
 * Process-wide registry of running servers, so that an exiting Node process kills them. It is
 * process state by nature (one `exit` handler for all emulators), not per-invocation state.
 */
const running = new Set<ChildProcess>();
let exitHandlerInstalled = false;

function track(child: ChildProcess): void {
  running.add(child);
  if (!exitHandlerInstalled) {
    exitHandlerInstalled = true;
    process.on('exit', () => {
      for (const c of running) signal(c, 'SIGKILL');
    });
  }
}

function untrack(child: ChildProcess): void {
  running.delete(child);
}

// ---------------------------------------------------------------------------------------------
// small helpers

function noop(): void {}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function lastLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.at(-1) ?? '(no output)';
}

/** Runs a command to completion. Rejects only when it cannot be started (e.g. ENOENT). */
function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code, sig) => resolve({ code: code ?? (sig ? 128 : 1), stdout, stderr }));
  });
}

/** Resolves to the HTTP status of one request (no keep-alive); rejects on connection errors. */
function httpStatus(method: string, url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new EmulatorUnavailable(`no answer from ${url} within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end();
  });
}

/** Picks a TCP port that is free on 127.0.0.1 right now. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new EmulatorUnavailable('no free TCP port on 127.0.0.1 for the emulator'))));
    });
  });
}

/** Keeps the last `max` lines of a stream. */
class LineTail {
  private lines: string[] = [];
  private partial = '';

  constructor(private readonly max: number) {}

  push(text: string): void {
    const parts = (this.partial + text).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts.filter((l) => l.trim() !== ''));
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }

  text(): string {
    return [...this.lines, this.partial].filter((l) => l.trim() !== '').join(' | ');
  }
}
