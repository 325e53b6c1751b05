import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../core/errors.js';

/**
 * Reads a request body into one Buffer.
 * @param maxBytes largest body accepted, bytes
 * @throws GatewayError 413 `request_too_large` past `maxBytes` (the rest is discarded)
 */
export function readRequestBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    request.resume();
    return Promise.reject(tooLarge(maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    request.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    request.on('error', (error) => {
      if (!failed) reject(error);
    });
  });
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError('request_too_large', `request body exceeds the gateway's limit of ${maxBytes} bytes`);
}
