/**
 * `npm run web`'s server (web/serve.mjs), on a temporary folder standing in for web/dist: it serves only files
 * under that folder, with their MIME types, and a malformed request gets an answer instead of stopping it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module without types
import { serve } from '../../web/serve.mjs';

const top = mkdtempSync(join(tmpdir(), 'fisor-serve-'));
const dist = join(top, 'dist');
let server: Server;
let port: number;

beforeAll(async () => {
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html>');
  writeFileSync(join(dist, 'assets', 'a.js'), 'export {};');
  writeFileSync(join(top, 'secret.txt'), 'outside dist');
  let url: string;
  ({ server, url } = await serve({ dir: dist, port: 0 }));
  port = Number(new URL(url).port);
});
afterAll(() => {
  server?.closeAllConnections();
  server?.close();
  rmSync(top, { recursive: true, force: true });
});

/** A raw GET (fetch would normalise the path before sending it). */
function get(path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => ok({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
    });
    req.on('error', fail);
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${path}: no answer`)));
    req.end();
  });
}

describe('web/serve.mjs', () => {
  it('serves dist files with their MIME types and nothing outside dist', async () => {
    expect(await get('/')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect(await get('/assets/a.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/assets']) {
      const r = await get(p);
      expect(r.status, p).toBe(404);
      expect(r.body).not.toContain('outside dist');
    }
  });

  it('answers a malformed percent-escape with 400 and keeps serving', async () => {
    const r = await get('/%E0%A4%A');
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/malformed URL/);
    expect((await get('/')).status).toBe(200);
  });
});
