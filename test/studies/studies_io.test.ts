import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replaceSection, writeStudy } from '../../scripts/studies_io.js';

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

  it('sets one JSON key and keeps the others; refuses to overwrite a file that is not a JSON object, and then leaves the page as it was', () => {
    const f = join(dir, 'studies.json');
    const page = join(dir, 'STUDIES.md');
    const write = (value: unknown) => writeStudy({ path: page, section: 'mine', body: `value ${JSON.stringify(value)}` }, { path: f, key: 'mine', value });
    writeFileSync(f, JSON.stringify({ keep: 1 }));
    write({ x: 2 });
    expect(JSON.parse(readFileSync(f, 'utf8'))).toEqual({ keep: 1, mine: { x: 2 } });
    expect(readFileSync(page, 'utf8')).toMatch(/^# Studies\n\n<!-- begin generated: mine [^\n]*-->\nvalue \{"x":2\}\n/);
    writeFileSync(f, '[1, 2');
    expect(() => write(3)).toThrow(/not valid JSON.*not overwriting it/);
    expect(readFileSync(f, 'utf8')).toBe('[1, 2');
    // The page still shows what the JSON file held last (it used to be rewritten before the JSON was refused).
    expect(readFileSync(page, 'utf8')).toContain('value {"x":2}');
    writeFileSync(f, '[1]');
    expect(() => write(3)).toThrow(/expected a JSON object/);
    expect(readFileSync(page, 'utf8')).not.toContain('value 3');
  });
});
