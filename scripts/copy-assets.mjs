// Non-TypeScript assets ship beside the compiled code, byte for byte: the
// oracle (so the hash the engine pins is the hash of the file a human audits)
// and the prompt templates. Swapped in by rename, so an engine running from
// dist/ during a rebuild never sees a half-copied oracle.
import {cpSync, existsSync, renameSync, rmSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const dir of ['oracle', 'prompts']) {
	const target = `${root}dist/${dir}`;
	const fresh = `${root}dist/.${dir}.${process.pid}.new`;
	const stale = `${root}dist/.${dir}.${process.pid}.old`;
	rmSync(fresh, {recursive: true, force: true});
	cpSync(`${root}${dir}`, fresh, {recursive: true});
	if (existsSync(target)) renameSync(target, stale);
	renameSync(fresh, target);
	rmSync(stale, {recursive: true, force: true});
}
