// The oracle ships byte-for-byte: dist/oracle/ is a plain copy of oracle/, so
// the hash the engine pins is the hash of the file a human audits.
import {cpSync, rmSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(`${root}dist/oracle`, {recursive: true, force: true});
cpSync(`${root}oracle`, `${root}dist/oracle`, {recursive: true});
