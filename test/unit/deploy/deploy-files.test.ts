import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {AGENT_ENV_ALLOW, envAllowed} from '../../../source/core/context.js';
import {ProjectConfig} from '../../../source/core/config.js';
import {buildProgram} from '../../../source/commands/program.js';
import {QUEUE_NAME} from '../../../source/queue/protocol.js';
import {parseAllDocuments} from 'yaml';

// deploy/ (#17): the worker image and the Kubernetes manifests, read as a cluster would read them.
type Yaml = string | number | boolean | null | Yaml[] | {[key: string]: Yaml};
type Obj = {[key: string]: Yaml};
const obj = (value: Yaml | undefined): Obj => {
	expect(value).toBeTypeOf('object');
	return value as Obj;
};
const get = (value: Yaml | undefined, ...path: (string | number)[]): Yaml | undefined =>
	path.reduce<Yaml | undefined>((at, key) => (at === null || at === undefined ? undefined : (at as Obj)[key as string]), value);
/** Every document of a multi-document YAML file; a syntax error or warning fails the test with its line. */
const manifests = (file: string): Obj[] =>
	parseAllDocuments(readFileSync(file, 'utf8'), {prettyErrors: true}).map(doc => {
		expect([...doc.errors, ...doc.warnings].map(e => `${file}: ${e.message}`)).toEqual([]);
		return obj(doc.toJS() as Yaml);
	});
const byKind = (docs: Obj[], kind: string, name?: string): Obj => {
	const found = docs.filter(d => d['kind'] === kind && (name === undefined || get(d, 'metadata', 'name') === name));
	expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
	return found[0]!;
};

const worker = manifests('deploy/k8s/worker.yaml');
const redis = manifests('deploy/k8s/redis.yaml');
const keda = manifests('deploy/k8s/keda.yaml');
const deployment = byKind(worker, 'Deployment', 'proofloop-worker');
const container = obj(get(deployment, 'spec', 'template', 'spec', 'containers', 0));
const secretKeys = (docs: Obj[], name: string) => Object.keys(obj(get(byKind(docs, 'Secret', name), 'stringData')));

describe('deploy/worker.Dockerfile', () => {
	const dockerfile = readFileSync('deploy/worker.Dockerfile', 'utf8');
	const instructions = dockerfile
		.replace(/\\\n/g, ' ')
		.split('\n')
		.filter(line => line.trim() !== '' && !line.trimStart().startsWith('#'));

	it('runs `proofloop worker` on node 20, with git and bubblewrap, the agent CLIs optional', () => {
		expect(instructions.filter(line => line.startsWith('FROM ')).every(line => /^FROM node:20\b/.test(line))).toBe(true);
		expect(instructions.find(line => line.startsWith('ENTRYPOINT '))).toBe('ENTRYPOINT ["proofloop", "worker"]');
		const apt = instructions.find(line => line.includes('apt-get install')) ?? '';
		expect(apt).toMatch(/\bgit\b/);
		expect(apt).toMatch(/\bbubblewrap\b/);
		expect(instructions).toContain('ARG AGENT_CLIS=""');
		// Built from this checkout with the lockfile, not fetched from a registry.
		expect(instructions.some(line => /^RUN npm ci\b/.test(line))).toBe(true);
		// Agents as a plain user: claude refuses root.
		expect(instructions.filter(line => line.startsWith('USER ')).at(-1)).toBe('USER node');
	});

	it('copies everything the npm package ships (package.json "files")', () => {
		const shipped = (JSON.parse(readFileSync('package.json', 'utf8')) as {files: string[]}).files;
		for (const dir of shipped) expect(instructions).toContain(`COPY --from=build /opt/proofloop/${dir} ./${dir}`);
	});
});

describe('deploy/k8s', () => {
	it('the workers take the queue and the remote from config, the agent credentials from a Secret', () => {
		const args = get(container, 'args') as string[];
		const env = get(container, 'env') as Obj[];
		const envNamed = (name: string) => env.find(e => e['name'] === name);
		const arg = (flag: string) => args[args.indexOf(flag) + 1];
		expect(arg('--queue')).toBe('$(QUEUE_URL)');
		expect(get(envNamed('QUEUE_URL'), 'valueFrom', 'secretKeyRef')).toEqual({name: 'proofloop-queue', key: 'url'});
		expect(arg('--remote')).toBe('$(GIT_REMOTE)');
		expect(get(envNamed('GIT_REMOTE'), 'valueFrom', 'configMapKeyRef', 'name')).toBe('proofloop-worker');
		expect(args).toContain('--concurrency');
		// Every $(NAME) in args is defined, or Kubernetes passes it through literally.
		for (const ref of args.flatMap(a => [...a.matchAll(/\$\((\w+)\)/g)].map(m => m[1]!))) expect(envNamed(ref), ref).toBeDefined();
		expect(get(container, 'envFrom')).toEqual([{secretRef: {name: 'proofloop-agent-credentials'}}]);
		expect(secretKeys(worker, 'proofloop-agent-credentials')).toContain('ANTHROPIC_API_KEY');
		expect(secretKeys(worker, 'proofloop-queue')).toEqual(expect.arrayContaining(['url', 'password']));
	});

	it("the flags it gives are the worker command's own", async () => {
		const program = await buildProgram('0.0.0', ['node', 'proofloop']);
		const command = program.commands.find(c => c.name() === 'worker');
		const flags = new Set(command?.options.map(o => o.long));
		const given = (get(container, 'args') as string[]).filter(a => a.startsWith('--'));
		expect(given.length).toBeGreaterThan(0);
		for (const flag of given) expect(flags, flag).toContain(flag);
	});

	it('no secret that is not an agent credential reaches the agents (their environment is allow-listed)', () => {
		const fromSecrets = (get(container, 'env') as Obj[]).filter(e => get(e, 'valueFrom', 'secretKeyRef') !== undefined).map(e => e['name'] as string);
		expect(fromSecrets).toContain('QUEUE_URL');
		expect(fromSecrets.filter(name => envAllowed(name, AGENT_ENV_ALLOW))).toEqual([]);
	});

	it('a worker told to stop has longer than an attempt may take to finish it', () => {
		const grace = get(deployment, 'spec', 'template', 'spec', 'terminationGracePeriodSeconds') as number;
		expect(grace).toBeGreaterThan(ProjectConfig.parse({batch: 'b'}).attemptTimeoutSeconds);
	});

	it("the optional Redis has the queue Secret's password and is the Service the queue URL names", () => {
		const service = byKind(redis, 'Service', 'proofloop-redis');
		const port = get(service, 'spec', 'ports', 0, 'port');
		const url = get(byKind(worker, 'Secret', 'proofloop-queue'), 'stringData', 'url') as string;
		expect(url).toMatch(new RegExp(`^redis://:[^@]+@proofloop-redis:${port}/0$`));
		const server = obj(get(byKind(redis, 'Deployment', 'proofloop-redis'), 'spec', 'template', 'spec', 'containers', 0));
		const args = get(server, 'args') as string[];
		expect(args[args.indexOf('--requirepass') + 1]).toBe('$(REDIS_PASSWORD)');
		expect(get(server, 'env', 0, 'valueFrom', 'secretKeyRef')).toEqual({name: 'proofloop-queue', key: 'password'});
		expect(args[args.indexOf('--maxmemory-policy') + 1]).toBe('noeviction');
	});

	it("KEDA scales the worker Deployment with the length of the queue's wait list, authenticated with the queue password", () => {
		const scaled = byKind(keda, 'ScaledObject', 'proofloop-worker');
		expect(get(scaled, 'spec', 'scaleTargetRef', 'name')).toBe(get(deployment, 'metadata', 'name'));
		const triggers = get(scaled, 'spec', 'triggers') as Obj[];
		const lists = triggers.map(t => get(t, 'metadata', 'listName'));
		// BullMQ's keys under its default prefix: the queue's name is the coordinator's and the workers' (queue/protocol.ts).
		expect(lists).toEqual([`bull:${QUEUE_NAME}:wait`, `bull:${QUEUE_NAME}:active`]);
		const auth = byKind(keda, 'TriggerAuthentication', 'proofloop-redis-auth');
		expect(get(auth, 'spec', 'secretTargetRef')).toEqual([{parameter: 'password', name: 'proofloop-queue', key: 'password'}]);
		for (const trigger of triggers) {
			expect(trigger['type']).toBe('redis');
			expect(get(trigger, 'authenticationRef', 'name')).toBe('proofloop-redis-auth');
			expect(get(trigger, 'metadata', 'address')).toMatch(/^proofloop-redis\.[a-z0-9-]+\.svc\.cluster\.local:6379$/);
			// KEDA's metadata values are strings.
			expect(get(trigger, 'metadata', 'listLength')).toBe(get(byKind(worker, 'ConfigMap', 'proofloop-worker'), 'data', 'concurrency'));
		}
	});
});
