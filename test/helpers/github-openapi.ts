import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {Ajv, type ValidateFunction} from 'ajv';
import addFormatsModule from 'ajv-formats';

// GitHub's published OpenAPI description (@octokit/openapi), read once: every
// answer the scripted server sends is checked against the operation's response
// schema, so a shape a test invents fails the test instead of passing octokit.

type Doc = {paths: Record<string, Record<string, {responses: Record<string, {content?: Record<string, unknown>; $ref?: string}>}>>};

let ajv: Ajv | undefined;
let doc: Doc | undefined;
const compiled = new Map<string, ValidateFunction | null>();

function load(): {ajv: Ajv; doc: Doc} {
	if (ajv && doc) return {ajv, doc};
	const require = createRequire(import.meta.url);
	const file = path.join(path.dirname(require.resolve('@octokit/openapi/package.json')), 'generated', 'api.github.com.json');
	doc = toJsonSchema(JSON.parse(readFileSync(file, 'utf8'))) as Doc;
	// Its other annotations (examples, x-github) are not JSON Schema: ignored.
	ajv = new Ajv({strict: false, allErrors: true, validateFormats: true, allowUnionTypes: true});
	(addFormatsModule as unknown as (a: Ajv) => void)(ajv);
	ajv.addSchema(doc as object, 'gh');
	return {ajv, doc};
}

// OpenAPI 3.0's `nullable: true` as JSON Schema: null joins the type (or the schema becomes "this or null").
function toJsonSchema(node: unknown): unknown {
	if (Array.isArray(node)) return node.map(toJsonSchema);
	if (typeof node !== 'object' || node === null) return node;
	const out: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(node)) out[key] = key === 'nullable' && typeof value === 'boolean' ? value : toJsonSchema(value);
	if (typeof out['nullable'] !== 'boolean') return out;
	const {nullable, ...rest} = out;
	if (!nullable) return rest;
	if (typeof rest['type'] === 'string') {
		const withNull: Record<string, unknown> = {...rest, type: [rest['type'], 'null']};
		if (Array.isArray(rest['enum'])) withNull['enum'] = [...(rest['enum'] as unknown[]), null];
		return withNull;
	}
	return {anyOf: [rest, {type: 'null'}]};
}

const pointer = (...parts: string[]): string => parts.map(p => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/** Throws when `body` is not what GitHub's description says `method template` answers with `status`. */
export function assertGitHubShape(method: string, template: string, status: number, body: unknown): void {
	const key = `${method} ${template} ${status}`;
	let validate = compiled.get(key);
	if (validate === undefined) {
		const {ajv: a, doc: d} = load();
		const op = d.paths[template]?.[method.toLowerCase()];
		if (!op) throw new Error(`the scripted GitHub answers ${method} ${template}, which GitHub's OpenAPI description lacks`);
		const response = op.responses[String(status)];
		if (!response) throw new Error(`${method} ${template} never answers ${status} in GitHub's OpenAPI description`);
		const json = response.$ref === undefined ? response.content?.['application/json'] : 'ref';
		validate =
			json === undefined
				? null
				: (a.getSchema(
						response.$ref !== undefined
							? `gh#${response.$ref.slice(1)}/content/application~1json/schema`
							: `gh#/${pointer('paths', template, method.toLowerCase(), 'responses', String(status), 'content', 'application/json', 'schema')}`,
					) ?? null);
		compiled.set(key, validate);
	}
	if (validate === null) {
		if (body !== undefined && body !== '') throw new Error(`${method} ${template} ${status} has no body in GitHub's description, but the server sent one`);
		return;
	}
	if (!validate(body)) throw new Error(`${key}: the scripted answer is not GitHub's shape: ${JSON.stringify(validate.errors?.slice(0, 5))}`);
}

/** An error body GitHub sends where the operation's description lists no such status (a rate limit, a bad gateway): its basic-error. */
export function assertGitHubError(body: unknown): void {
	const {ajv: a} = load();
	const validate = a.getSchema('gh#/components/schemas/basic-error');
	if (!validate?.(body)) throw new Error(`a scripted error is not GitHub's basic-error: ${JSON.stringify(validate?.errors)}`);
}
