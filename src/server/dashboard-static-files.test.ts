import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { contentTypeOf, DashboardFiles } from './dashboard-static-files.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

describe('dashboard static files', () => {
  let directory: string;
  let server: Server;
  let base: string;
  const script = `console.log(${JSON.stringify('x'.repeat(4000))});`;

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'heimdall-dashboard-'));
    mkdirSync(join(directory, 'assets'));
    writeFileSync(join(directory, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(directory, 'favicon.svg'), '<svg/>');
    writeFileSync(join(directory, 'assets', 'index-abc123.js'), script);
    writeFileSync(join(tmpdir(), 'outside-dashboard.txt'), 'secret');
    const files = new DashboardFiles(directory);
    server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://local').pathname;
      files
        .serve(request, response, path)
        .then((served) => {
          if (!served) {
            response.writeHead(404, { 'content-type': 'application/json' });
            response.end('{"not":"dashboard"}');
          }
        })
        .catch(() => response.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(directory, { recursive: true, force: true });
    rmSync(join(tmpdir(), 'outside-dashboard.txt'), { force: true });
  });

  /** A raw request (undici's fetch would decompress and normalise the path). */
  function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(`${base}${path}`, { method, headers }, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks) }));
      });
      outgoing.on('error', reject);
      outgoing.end();
    });
  }

  it('serves hashed assets with their content type, cached for a year, gzipped when accepted', async () => {
    const plain = await get('/assets/index-abc123.js');
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(plain.body.toString(), script);
    const zipped = await get('/assets/index-abc123.js', { 'accept-encoding': 'gzip, br' });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.ok(zipped.body.length < script.length);
    assert.equal(gunzipSync(zipped.body).toString(), script);
  });

  it('serves other files with no-cache, and index.html for browser navigations to any page', async () => {
    const icon = await get('/favicon.svg');
    assert.equal(icon.headers['content-type'], 'image/svg+xml');
    assert.equal(icon.headers['cache-control'], 'no-cache');
    for (const path of ['/', '/logs', '/logs/abc', '/keys']) {
      const page = await get(path, { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
      assert.equal(page.status, 200, path);
      assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(page.headers['cache-control'], 'no-cache');
      assert.match(page.body.toString(), /id="root"/);
    }
    const head = await get('/logs', { accept: 'text/html' }, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
  });

  it('leaves API clients, other methods, missing files and paths outside the directory to the caller', async () => {
    assert.equal((await get('/logs', { accept: 'application/json' })).status, 404);
    assert.equal((await get('/', {})).status, 404);
    assert.equal((await get('/logs', { accept: 'text/html' }, 'POST')).status, 404);
    assert.equal((await get('/assets/missing-123.js')).status, 404);
    assert.equal((await get('/../outside-dashboard.txt')).status, 404);
    assert.equal((await get('/%2e%2e/outside-dashboard.txt')).status, 404);
    assert.equal((await get('/%E0%A4%A.js')).status, 404);
  });

  it('answers nothing when no dashboard was built', async () => {
    assert.equal(await new DashboardFiles(join(directory, 'absent')).available(), false);
    assert.equal(await new DashboardFiles(directory).available(), true);
  });

  it('names content types by extension', () => {
    assert.equal(contentTypeOf('a.CSS'), 'text/css; charset=utf-8');
    assert.equal(contentTypeOf('font.woff2'), 'font/woff2');
    assert.equal(contentTypeOf('blob.bin'), 'application/octet-stream');
  });
});
