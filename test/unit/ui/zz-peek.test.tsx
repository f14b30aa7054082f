import {render} from 'ink-testing-library';
import {it} from 'vitest';
import {mkdtempSync, mkdirSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {App} from '../../../source/ui/App.js';
import {fixtureState, RecordingControl, resize, settle, strip, T0} from './helpers.js';

it('peek', async () => {
	const dir = mkdtempSync(path.join(tmpdir(), 'peek-'));
	for (const [t, a] of [['T-1', 1], ['T-2', 2]] as const) {
		mkdirSync(path.join(dir, t), {recursive: true});
		writeFileSync(path.join(dir, t, `${a}.log`), Array.from({length: 40}, (_, i) => `${t} \x1b[32mline\x1b[0m ${i + 1}\twith tab`).join('\n') + '\n');
	}
	const {lastFrame, stdout} = render(<App state={fixtureState()} control={new RecordingControl()} logFileOf={(t, a) => path.join(dir, t, `${a}.log`)} maxAttempts={3} onDetach={() => {}} now={() => T0 + 95_000} noColor />);
	for (const [c, r] of [[160, 30], [100, 24], [80, 30], [60, 14]] as const) {
		resize(stdout, c, r);
		await settle();
		await new Promise(res => setTimeout(res, 300));
		const f = strip(lastFrame());
		console.log(`----- ${c}x${r} (${f.split('\n').length} lines)\n` + f);
	}
});
