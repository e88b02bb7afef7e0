import * as errors from '../../../lib/core/errors';
import * as releaseErrors from '../../../lib/runtime/release/errors';
import { ERROR_CODES, FirebreakError, InvalidInput, isFirebreakError } from '../../../lib/core/errors';

/** Every error class the modules export, by class name. */
const classes = Object.fromEntries(
  [...Object.values(errors), ...Object.values(releaseErrors)]
    .filter((v): v is typeof FirebreakError => typeof v === 'function' && (v === FirebreakError || v.prototype instanceof FirebreakError))
    .map((c) => [c.name, c]),
);

describe('Firebreak errors: stable codes apart from class names', () => {
  it('gives every class its own code, and ERROR_CODES lists exactly those codes and classes', () => {
    const table = Object.fromEntries(Object.values(classes).map((c) => [c.code, c.name]));
    expect(Object.keys(table)).toHaveLength(Object.keys(classes).length);
    expect(table).toEqual(ERROR_CODES);
  });

  it("sets name (what Step Functions matches on) to the class name and code to the class's stable code", () => {
    for (const [name, C] of Object.entries(classes)) {
      const e = C === releaseErrors.ReleaseBlocked ? new releaseErrors.ReleaseBlocked('m', []) : new C('m');
      expect([name, e.name, e.code]).toEqual([name, name, C.code]);
      expect(e.code).toMatch(/^[A-Z][A-Z_]*$/);
    }
    expect(new releaseErrors.NotReleasable('m').code).toBe('NOT_RELEASABLE');
    expect(new releaseErrors.NotReleasable('m')).toBeInstanceOf(InvalidInput);
  });

  it('recognises a Firebreak error from another copy of the module, where instanceof does not', () => {
    let Other: typeof InvalidInput | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      Other = (require('../../../lib/core/errors') as typeof errors).InvalidInput;
    });
    const foreign = new Other!('from another copy');
    expect(foreign instanceof InvalidInput).toBe(false);
    expect(isFirebreakError(foreign)).toBe(true);
    // What a Lambda's error looks like once serialized and parsed again.
    expect(isFirebreakError(JSON.parse(JSON.stringify({ name: 'Throttled', code: 'THROTTLED', message: 'x' })))).toBe(true);
  });

  it.each([
    ['a TypeError', new TypeError('x')],
    [
      'an SDK-style error whose code is not ours',
      Object.assign(new Error('slow down'), { name: 'ThrottlingException', code: 'ThrottlingException' }),
    ],
    ['an error borrowing a code under another name', Object.assign(new Error('x'), { name: 'TypeError', code: 'INVALID_INPUT' })],
    ['a string', 'INVALID_INPUT'],
    ['null', null],
  ])('does not take %s for a Firebreak error', (_what, value) => {
    expect(isFirebreakError(value)).toBe(false);
  });
});
