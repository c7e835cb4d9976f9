// The example built with Vite (`npx vite build`; browser.test.mjs builds it too): `pollflow`
// resolved from node_modules, its .wasm emitted as an asset (the package's
// `new URL(..., import.meta.url)`), for ES2020 browsers, which have no top-level await. Vite
// only warns about syntax the target lacks, so every warning fails the build here.
import { defineConfig } from 'vite';

export default defineConfig({
  logLevel: 'warn',
  build: {
    target: 'es2020',
    outDir: '../../target/browser-test/vite',
    emptyOutDir: true,
    rolldownOptions: {
      onLog(level, log, handler) {
        if (level === 'warn') throw new Error(`${log.code}: ${log.message}`);
        handler(level, log);
      },
    },
  },
});
