#!/usr/bin/env node
// The command's entry: starts a two-thread replay's decoding worker first
// (engine/prestart.ts), then loads the command itself (cli.ts).

import { prestartDecoder } from './engine/prestart.js';

prestartDecoder(process.argv.slice(2));
await import('./cli.js');
