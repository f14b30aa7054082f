// Non-TypeScript assets ship beside the compiled code, byte for byte: the
// oracle (so the hash the engine pins is the hash of the file a human audits)
// and the prompt templates.
import {cpSync, rmSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const dir of ['oracle', 'prompts']) {
	rmSync(`${root}dist/${dir}`, {recursive: true, force: true});
	cpSync(`${root}${dir}`, `${root}dist/${dir}`, {recursive: true});
}
