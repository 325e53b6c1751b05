import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/**
 * Serves the built dashboard (`npm run build` → `dist/dashboard/`, a Vite single-page app) from
 * the gateway's own port:
 * - a file path (`/assets/index-<hash>.js`, `/favicon.svg`): the file with its content type; files
 *   under `assets/` carry a content hash in their name and are cached for a year (`immutable`),
 *   the rest must be revalidated (`no-cache`); gzip when the client accepts it and it pays;
 * - a browser navigation (`GET` with `Accept: text/html`) to any other path: `index.html`, so that
 *   `/logs`, `/keys` or a reload of any page open the app, which routes on the client.
 * API clients (no `text/html` in `Accept`) never get the app: `GET /` keeps answering JSON to them.
 */

/** Where `npm run build` puts the dashboard: `<package>/dist/dashboard/` (src/server/ and dist/server/ are both two levels down). */
export const DASHBOARD_DIRECTORY = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));

/** Content types by file extension; anything else is `application/octet-stream`. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Types worth compressing (text). */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.svg', '.txt']);
/** Bodies smaller than this are sent as they are, bytes. */
const MIN_GZIP_BYTES = 1024;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The content type of a file name. */
export function contentTypeOf(fileName: string): string {
  return CONTENT_TYPES[extname(fileName).toLowerCase()] ?? 'application/octet-stream';
}

/** Whether the request is a browser navigation (its `Accept` names `text/html`). */
export function acceptsHtml(request: IncomingMessage): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

function acceptsGzip(request: IncomingMessage): boolean {
  const encoding = request.headers['accept-encoding'];
  return typeof encoding === 'string' && /\bgzip\b/.test(encoding);
}

interface LoadedFile {
  body: Buffer;
  gzip: Buffer | undefined;
  modifiedMs: number;
}

/** The dashboard's files under one directory, read once each and kept while unchanged on disk. */
export class DashboardFiles {
  private readonly cache = new Map<string, LoadedFile>();
  private readonly root: string;

  constructor(directory: string = DASHBOARD_DIRECTORY) {
    this.root = resolve(directory);
  }

  /**
   * Answers `request` when it is the dashboard's (see the module comment).
   * @returns false when it is not (a method other than GET/HEAD, a missing file, no built
   *   dashboard, or a non-browser request for a path that is not a file) — the caller answers then
   */
  async serve(request: IncomingMessage, response: ServerResponse, path: string): Promise<boolean> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const lastSegment = path.slice(path.lastIndexOf('/') + 1);
    if (lastSegment.includes('.')) return this.serveFile(request, response, path);
    if (!acceptsHtml(request)) return false;
    return this.serveFile(request, response, '/index.html');
  }

  /** Whether a built dashboard is present (`index.html`). */
  async available(): Promise<boolean> {
    return (await this.load(resolve(this.root, 'index.html'))) !== undefined;
  }

  private async serveFile(request: IncomingMessage, response: ServerResponse, path: string): Promise<boolean> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return false;
    }
    const file = resolve(this.root, `.${decoded}`);
    if (!file.startsWith(this.root + sep) || decoded.includes('\0')) return false;
    const loaded = await this.load(file);
    if (loaded === undefined) return false;
    const relative = file.slice(this.root.length + 1);
    const useGzip = loaded.gzip !== undefined && acceptsGzip(request);
    const body = useGzip && loaded.gzip !== undefined ? loaded.gzip : loaded.body;
    response.writeHead(200, {
      'content-type': contentTypeOf(file),
      'content-length': body.length,
      'cache-control': relative.startsWith(`assets${sep}`) ? IMMUTABLE : 'no-cache',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
      ...(useGzip ? { 'content-encoding': 'gzip' } : {}),
    });
    response.end(request.method === 'HEAD' ? undefined : body);
    return true;
  }

  private async load(file: string): Promise<LoadedFile | undefined> {
    let modifiedMs: number;
    try {
      const info = await stat(file);
      if (!info.isFile()) return undefined;
      modifiedMs = info.mtimeMs;
    } catch {
      return undefined;
    }
    const cached = this.cache.get(file);
    if (cached !== undefined && cached.modifiedMs === modifiedMs) return cached;
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return undefined;
    }
    const compressible = COMPRESSIBLE.has(extname(file).toLowerCase()) && body.length >= MIN_GZIP_BYTES;
    const gzip = compressible ? gzipSync(body) : undefined;
    const loaded: LoadedFile = { body, gzip: gzip !== undefined && gzip.length < body.length ? gzip : undefined, modifiedMs };
    this.cache.set(file, loaded);
    return loaded;
  }
}
