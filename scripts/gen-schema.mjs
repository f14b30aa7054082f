// Writes schema/config.schema.json from the zod schema (the single source of
// truth), so editors complete and check .proofloop/config.json. Run after build;
// a test fails when the committed file is stale.
import {writeFileSync, mkdirSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {z} from 'zod';
import {ProjectConfig} from '../dist/source/core/config.js';

const root = fileURLToPath(new URL('..', import.meta.url));
export function configJsonSchema() {
	return {...z.toJSONSchema(ProjectConfig, {io: 'input', unrepresentable: 'any'}), title: 'proofloop project config (.proofloop/config.json)'};
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	mkdirSync(`${root}schema`, {recursive: true});
	writeFileSync(`${root}schema/config.schema.json`, JSON.stringify(configJsonSchema(), null, 2) + '\n');
}
