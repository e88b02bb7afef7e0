import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assertHtmlTarget, writeHtmlReport } from '../../../lib/cli/commands/cases';
import { InvalidInput } from '../../../lib/core/errors';
import { cli } from '../../support/cli';

/**
 * Where `firebreak cases show <caseId> --html FILE` writes (lib/cli/commands/cases.ts): FILE is checked before any AWS
 * call (a directory, a symbolic link, a missing directory are refused), and written whole or not at all, by a rename
 * that replaces a file at FILE instead of writing through a link put there since.
 */

describe('the file of cases show --html', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fb-case-report-file-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const CASE = 'fb-20261205-0123456789';

  it('refuses a directory, a symbolic link, a special file and a missing directory, before any AWS call', async () => {
    const target = path.join(dir, 'target.txt');
    fs.writeFileSync(target, 'keep me');
    fs.symlinkSync(target, path.join(dir, 'link.html'));
    const refused = [dir, path.join(dir, 'link.html'), '/dev/null', path.join(dir, 'no-such-dir', 'r.html')];
    for (const file of refused) {
      expect(() => assertHtmlTarget(file)).toThrow(InvalidInput);
      const r = await cli(['cases', 'show', CASE, '--html', file, '--endpoint', 'http://127.0.0.1:1']);
      expect([file, r.code, r.stderr[0]]).toEqual([file, 2, expect.stringMatching(/^firebreak: error: --html /)]);
    }
    expect(fs.readFileSync(target, 'utf8')).toBe('keep me');
  });

  it('writes a new file, replaces a file, and never writes through a link made after the check', () => {
    const file = path.join(dir, 'case.html');
    expect(assertHtmlTarget(file)).toBe(false);
    writeHtmlReport(file, '<p>one</p>');
    expect(assertHtmlTarget(file)).toBe(true);
    writeHtmlReport(file, '<p>two</p>');
    expect(fs.readFileSync(file, 'utf8')).toBe('<p>two</p>');
    const victim = path.join(dir, 'victim.txt');
    fs.writeFileSync(victim, 'keep me');
    fs.rmSync(file);
    fs.symlinkSync(victim, file);
    writeHtmlReport(file, '<p>three</p>');
    expect([fs.readFileSync(victim, 'utf8'), fs.lstatSync(file).isFile(), fs.readFileSync(file, 'utf8')]).toEqual([
      'keep me',
      true,
      '<p>three</p>',
    ]);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('leaves no temporary file when the write fails (a directory put at FILE after the check)', () => {
    const file = path.join(dir, 'became-a-dir.html');
    fs.mkdirSync(path.join(file, 'inside'), { recursive: true });
    expect(() => writeHtmlReport(file, 'new')).toThrow();
    expect(fs.readdirSync(file)).toEqual(['inside']);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });
});
