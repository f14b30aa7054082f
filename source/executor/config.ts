import {z} from 'zod';

/** A Redis URL BullMQ can reach: redis:// or, with TLS, rediss:// (a password in it is kept out of every job and log). */
export const RedisUrl = z
	.string()
	.regex(/^rediss?:\/\/[^\s]+$/, 'expected a Redis URL: redis://HOST:PORT/DB, or rediss:// for TLS (a password goes in as redis://:PASSWORD@HOST)');

/** Where the implement stage runs. The finish line (checks, guard, review, merge, verify) stays on this machine either way. */
export const ExecutorConfig = z
	.discriminatedUnion('kind', [
		z
			.object({kind: z.literal('local')})
			.strict()
			.describe('Agents run on this machine (the default).'),
		z
			.object({
				kind: z.literal('queue'),
				url: RedisUrl.describe('The BullMQ queue on Redis the `proofloop worker` processes take attempts from.'),
				remote: z
					.string()
					.min(1)
					.describe(
						'A git remote both sides reach (a bare repository path, ssh or https): base and each start go there, each attempt branch comes back from there.',
					),
			})
			.strict()
			.describe('Agents run on `proofloop worker` processes anywhere, through BullMQ on Redis.'),
	])
	.default({kind: 'local'});
export type ExecutorConfig = z.infer<typeof ExecutorConfig>;
