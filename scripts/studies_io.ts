/**
 * Where the study scripts (scripts/ablations.ts, scripts/data_quantity.ts) put their results: each owns one
 * generated section of a shared markdown page (docs/STUDIES.md), between
 * `<!-- begin generated: NAME -->` and `<!-- end generated: NAME -->`, and one key of a shared JSON file
 * (studies.json). Everything outside a script's own section or key (the hand-written reading, the other
 * study's results) is kept as it is. Both files are written atomically, as a pair (`writeStudy`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { recoverInterruptedWrites, writeFilesAtomic } from '../rl/io/atomic.js';
import { readJsonFile } from './run_checks.js';

const begin = (name: string) => `<!-- begin generated: ${name} (rewritten by its script; edit outside these markers) -->`;
const end = (name: string) => `<!-- end generated: ${name} -->`;

/**
 * `text` with the section NAME replaced by `body` (appended at the end when the page has no such section).
 * A page with a begin marker but no end marker (or several sections of that name) is an error: something
 * else edited it, and replacing blindly could drop hand-written text.
 */
export function replaceSection(text: string, name: string, body: string): string {
  if (!/^[\w-]+$/.test(name)) throw new Error(`section name '${name}': use letters, digits, '-' and '_' only`);
  const b = begin(name), e = end(name);
  const block = `${b}\n${body.trimEnd()}\n${e}`;
  const starts = text.split(b).length - 1, ends = text.split(e).length - 1;
  if (starts === 0 && ends === 0) return (text.trimEnd() ? text.trimEnd() + '\n\n' : '') + block + '\n';
  if (starts !== 1 || ends !== 1) throw new Error(`section '${name}': expected one begin and one end marker, found ${starts} and ${ends}`);
  const i = text.indexOf(b), j = text.indexOf(e);
  if (j < i) throw new Error(`section '${name}': the end marker comes before the begin marker`);
  return text.slice(0, i) + block + text.slice(j + e.length);
}

/** The markdown page at `path` (`title` if missing) with section NAME rewritten. */
function withSection(path: string, name: string, body: string, title: string): string {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : `${title}\n`;
  return replaceSection(text, name, body);
}

/** The JSON object in `path` (empty if missing) with `key` set to `value`, other keys kept; refuses a damaged file. */
function withJsonKey(path: string, key: string, value: unknown): string {
  let obj: Record<string, unknown> = {};
  if (existsSync(path)) {
    const parsed = readJsonFile(path, 'not overwriting it');
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${path}: expected a JSON object; not overwriting it`);
    obj = parsed as Record<string, unknown>;
  }
  obj[key] = value;
  return JSON.stringify(obj, null, 2) + '\n';
}

/**
 * A study's section of the page and its key of the JSON file, written as a pair: both texts are made first (a
 * damaged JSON file is refused before the page changes), then written together, so the page never shows results
 * that the JSON file does not hold.
 */
export function writeStudy(report: { path: string; section: string; body: string }, json: { path: string; key: string; value: unknown }): void {
  recoverInterruptedWrites([report.path, json.path]); // both are read below: a pair left mixed by a killed write is settled first
  writeFilesAtomic([
    { path: report.path, data: withSection(report.path, report.section, report.body, '# Studies') },
    { path: json.path, data: withJsonKey(json.path, json.key, json.value) },
  ]);
}

/**
 * A study's record under `key` of its JSON file (what writeStudy wrote), with at least one cell: what `--figure-only`
 * redraws a study's figure from. A file without it is an error naming the file and the key.
 */
export function readStudyRecord<R extends { cells: unknown[] }>(json: string, key: string): R {
  const rec = (JSON.parse(readFileSync(json, 'utf8')) as Record<string, Partial<R> | undefined>)[key];
  if (!rec?.cells?.length) throw new Error(`${json} has no '${key}' record with cells to draw`);
  return rec as R;
}

export const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
/** Sample standard deviation (n - 1); 0 for fewer than two values. */
export const std = (v: number[]): number => (v.length < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)));
export const meanStd = (v: number[], digits = 3): string => (v.length ? `${mean(v).toFixed(digits)} ± ${std(v).toFixed(digits)}` : 'not run');

/**
 * The backend a study cell was trained and evaluated on: wasm and wasm-fma round differently, so one table
 * never mixes them. Cells saved before cells recorded it have none: they were all made on 'wasm'.
 */
export interface BackendKeyed {
  backend: string;
}

/** A saved cell's backend ('wasm' for cells saved before it was recorded). */
export const cellBackend = (saved: Partial<BackendKeyed>): string => saved.backend ?? 'wasm';

/** Refuses to extend a study with a process on another backend than the saved cell's, naming the one to use. */
export function checkCellBackend(file: string, saved: Partial<BackendKeyed>, current: string): void {
  const was = cellBackend(saved);
  if (was !== current) throw new Error(`${file} was made on backend ${was}, this process runs ${current}: set FISOR_BACKEND=${was} to extend this study, or use another --work directory`);
}
