// What the Node entry points (*.node.js, chosen by the `node` export condition) lend the
// engine's loader: reading `file:` URLs (the package's own .wasm), and Web Crypto in Node 18,
// which has no global one. Elsewhere `fetch` reads URLs and `crypto` is global: only Node's
// entry points import Node's modules, so bundlers for browsers and Workers never meet them.
import { webcrypto } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { host } from './execution.js';

host.crypto = webcrypto;
host.readFile = readFile;
