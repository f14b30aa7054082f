// The small app the demo batch works on: "textkit", a few string helpers. Its
// live verification is real: a feature counts as shipped only when its module
// works AND its flag file is switched on, so a merge without activation fails.

export const appFiles: Record<string, string> = {
	'package.json': JSON.stringify({name: 'textkit', private: true, type: 'module', scripts: {test: 'node --test test/'}}, null, 2) + '\n',
	'README.md': '# textkit\n\nSmall string helpers. Each feature ships behind a flag file in `features/`.\n',
	'src/version.js': "export const version = '0.1.0';\nexport const selfCheck = () => typeof version === 'string';\n",
	'test/version.test.js':
		"import test from 'node:test';\nimport assert from 'node:assert/strict';\nimport {version} from '../src/version.js';\n\ntest('version is set', () " +
		'=> assert.match(version, /^\\d+\\.\\d+\\.\\d+$/));\n',
	'features/version.on': '',
	'scripts/smoke.mjs': `// Live check of one feature: its flag is on and its module passes its self-check.
import {existsSync} from 'node:fs';

const name = process.argv[2];
if (!name) {
	console.error('usage: node scripts/smoke.mjs <feature>');
	process.exit(2);
}
if (!existsSync(\`features/\${name}.on\`)) {
	console.error(\`feature '\${name}' is not switched on: features/\${name}.on is missing\`);
	process.exit(1);
}
const module = await import(new URL(\`../src/\${name}.js\`, import.meta.url));
if (!(await module.selfCheck())) {
	console.error(\`feature '\${name}' failed its self-check\`);
	process.exit(1);
}
console.log(\`feature '\${name}' is live\`);
`,
	'scripts/infra-check.mjs': `// Live check of one infrastructure resource: it was applied.
import {existsSync, readFileSync} from 'node:fs';

const name = process.argv[2];
const file = \`infra/\${name}.json\`;
if (!existsSync(file) || JSON.parse(readFileSync(file, 'utf8')).applied !== true) {
	console.error(\`resource '\${name}' is not applied (\${file})\`);
	process.exit(1);
}
console.log(\`resource '\${name}' is applied\`);
`,
};
