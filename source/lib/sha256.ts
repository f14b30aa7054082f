import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';

// The oracle keeps its own: it imports only Node built-ins.

/** Hex sha256 of a text or bytes. */
export const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Hex sha256 of a file's bytes. */
export const sha256File = (file: string): string => sha256(readFileSync(file));
