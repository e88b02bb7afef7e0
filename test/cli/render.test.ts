import { colorAllowed } from '../../lib/cli/output';
import { terminalSafe } from '../../lib/core/text';
import { renderEnd, renderStep, style } from '../../lib/cli/render';

const ESC = '\u001b[';

describe('CLI output colour', () => {
  it('is allowed only on a terminal, and never with NO_COLOR or TERM=dumb', () => {
    expect(colorAllowed({ isTTY: true }, {})).toBe(true);
    expect(colorAllowed({ isTTY: false }, {})).toBe(false);
    expect(colorAllowed({}, {})).toBe(false);
    expect(colorAllowed({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorAllowed({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });

  it('renders progress readable without colour, and colours it only when allowed', () => {
    const step = {
      name: 'Isolate',
      status: 'FAILED' as const,
      startedAt: 0,
      endedAt: 1500,
      error: 'AccessDenied',
      cause: '{"errorType":"AccessDenied","errorMessage":"not authorized"}',
    };
    const plain = renderStep(step, style({ out: () => undefined, err: () => undefined, color: false }));
    expect(plain).toBe(`  FAIL ${'Isolate'.padEnd(26)} ${'1.5 s'.padStart(8)}  AccessDenied: not authorized`);
    expect(plain).not.toContain(ESC);
    const coloured = renderStep(step, style({ out: () => undefined, err: () => undefined, color: true }));
    expect(coloured).toContain(ESC);
    expect(
      coloured
        .split(ESC)
        .map((part, i) => (i === 0 ? part : part.replace(/^\d+m/, '')))
        .join(''),
    ).toBe(plain);
    const end = renderEnd(
      { executionArn: 'arn', status: 'FAILED', steps: [step], failedStep: step, durationMs: 2000, output: undefined },
      style({ out: () => undefined, err: () => undefined }),
    );
    expect(end).toEqual(['FAILED  outcome -  case -  (2.0 s)', '  failed step: Isolate: AccessDenied: not authorized']);
  });
});

describe('terminalSafe', () => {
  it('escapes control and bidirectional characters visibly, and keeps tab and newline', () => {
    expect(terminalSafe('a\u001b[2Jb\rc\u202ed\u0007e\u007ff\u009bg\th\ni')).toBe(
      'a\\u001b[2Jb\\u000dc\\u202ed\\u0007e\\u007ff\\u009bg\th\ni',
    );
  });

  it("keeps Firebreak's own colour codes only when asked, and escapes any other sequence", () => {
    const line = '\u001b[32mok\u001b[39m then \u001b[5mblink\u001b[8mhidden';
    expect(terminalSafe(line, true)).toBe('\u001b[32mok\u001b[39m then \\u001b[5mblink\\u001b[8mhidden');
    expect(terminalSafe(line)).not.toContain('\u001b');
  });

  it('leaves JSON valid and equal in meaning', () => {
    const value = { id: 'x\u001b[31m\u202e\u0085y' };
    expect(JSON.parse(terminalSafe(JSON.stringify(value)))).toEqual(value);
  });
});
