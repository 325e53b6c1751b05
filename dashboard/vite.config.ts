import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The dashboard's build: `dashboard/` → `dist/dashboard/` (shipped in the package and served by
 * the gateway itself, see src/server/dashboard-static-files.ts). File names under `assets/` carry
 * a content hash, so the gateway serves them as immutable.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 1500,
  },
  server: {
    // `npm run dashboard:dev`: the API from a gateway on :8080. The admin API refuses cookie-carrying
    // unsafe requests from a foreign Origin, and the dev server is one, so the proxy drops the header.
    proxy: {
      '/api': {
        target: 'http://127.0.0.1:8080',
        configure: (proxy) => {
          proxy.on('proxyReq', (proxyRequest) => proxyRequest.removeHeader('origin'));
        },
      },
    },
  },
});
