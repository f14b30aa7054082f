import type {z} from 'zod';

/** A JSON text checked against a schema: safeParse's result, or undefined when the text is not JSON at all. */
export function parseJsonWith<T>(schema: z.ZodType<T>, text: string): z.ZodSafeParseResult<T> | undefined {
	let raw: unknown;
	try {
		raw = JSON.parse(text);
	} catch {
		return undefined;
	}
	return schema.safeParse(raw);
}
