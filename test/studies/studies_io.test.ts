import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replaceSection, writeJsonKey } from '../../scripts/studies_io.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-sio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('study report sections', () => {
  it('appends a new section, then replaces only its own body', () => {
    const one = replaceSection('# Page\n\nhand text\n', 'a', 'first');
    expect(one).toMatch(/^# Page\n\nhand text\n\n<!-- begin generated: a [^\n]*-->\nfirst\n<!-- end generated: a -->\n$/);
    const two = replaceSection(replaceSection(one, 'b', 'other'), 'a', 'second');
    expect(two).toContain('hand text');
    expect(two).toContain('\nsecond\n');
    expect(two).not.toContain('first');
    expect(two).toContain('\nother\n');
  });

  it('refuses a page whose markers were damaged, and bad section names', () => {
    const one = replaceSection('', 'a', 'x');
    expect(() => replaceSection(one.replace('<!-- end generated: a -->', ''), 'a', 'y')).toThrow(/section 'a': expected one begin and one end marker, found 1 and 0/);
    expect(() => replaceSection(one, 'a b', 'y')).toThrow(/section name 'a b'/);
  });

  it('sets one JSON key and keeps the others; refuses to overwrite a file that is not a JSON object', () => {
    const f = join(dir, 'studies.json');
    writeFileSync(f, JSON.stringify({ keep: 1 }));
    writeJsonKey(f, 'mine', { x: 2 });
    expect(JSON.parse(readFileSync(f, 'utf8'))).toEqual({ keep: 1, mine: { x: 2 } });
    writeFileSync(f, '[1, 2');
    expect(() => writeJsonKey(f, 'mine', 3)).toThrow(/not valid JSON.*not overwriting it/);
    expect(readFileSync(f, 'utf8')).toBe('[1, 2');
    writeFileSync(f, '[1]');
    expect(() => writeJsonKey(f, 'mine', 3)).toThrow(/expected a JSON object/);
  });
});
