import { StatesTimeout, TaskTokens } from '../../../lib/harness/local/task-tokens';

/**
 * The local `.waitForTaskToken` registry (lib/harness/local/task-tokens.ts) across a retried task: locally one token per
 * execution, so a retry waits again on the same token.
 */
describe('TaskTokens across a retry of the waiting task', () => {
  it('gives the retry the answer an attempt received before it failed (it was not lost with the attempt)', async () => {
    const tokens = new TaskTokens();
    const first = tokens.wait('t1', 60_000);
    tokens.succeed('t1', { decision: 'deny' });
    await expect(first).resolves.toEqual({ decision: 'deny' });
    // The attempt's handler then threw (a throttled page): the retry waits again and gets the answer at once.
    await expect(tokens.wait('t1', 60_000)).resolves.toEqual({ decision: 'deny' });
    // Once taken, it is not given a third time: a later wait waits for a new answer.
    const third = tokens.wait('t1', 20);
    await expect(third).rejects.toBeInstanceOf(StatesTimeout);
  });

  it('lets a retry that supersedes an unanswered attempt be answered, and the old timer never ends it', async () => {
    const tokens = new TaskTokens();
    const first = tokens.wait('t2', 30);
    first.catch(() => undefined);
    const second = tokens.wait('t2', 60_000);
    await new Promise((r) => setTimeout(r, 60));
    expect(tokens.isWaiting('t2')).toBe(true);
    tokens.succeed('t2', { decision: 'approve' });
    await expect(second).resolves.toEqual({ decision: 'approve' });
    await expect(first).rejects.toThrow(/superseded by a retry/);
  });

  it('refuses an answer to a token that timed out, and one to a token it never issued', async () => {
    const tokens = new TaskTokens();
    await expect(tokens.wait('t3', 10)).rejects.toBeInstanceOf(StatesTimeout);
    expect(() => tokens.succeed('t3', {})).toThrow(/Task Timed Out/);
    expect(() => tokens.succeed('nope', {})).toThrow(/Task Does Not Exist/);
  });
});
