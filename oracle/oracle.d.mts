// Types for oracle.mjs, so the engine (TypeScript) can import the very same
// front-matter parser the oracle judges with.

/** A scalar as the front-matter subset reads it. */
export type FrontMatterScalar = string | number | boolean | null;

/** A top-level value: a scalar, a flow/block list of scalars, or a flow mapping of scalars. */
export type FrontMatterValue = FrontMatterScalar | FrontMatterScalar[] | {[key: string]: FrontMatterScalar};

export type FrontMatterParsed = {
	ok: true;
	/** Every top-level key and its value, in file order. */
	data: Record<string, FrontMatterValue>;
	/** 1-based line of each top-level key. */
	keyLines: Record<string, number>;
	/** Text after the closing `---` line. */
	body: string;
	/** 1-based line where the body starts. */
	bodyLine: number;
};

export type FrontMatterInvalid = {
	ok: false;
	/** 1-based line to blame. */
	line: number;
	/** What is wrong. */
	message: string;
	/** How to fix it. */
	fix: string;
};

export type FrontMatterResult = FrontMatterParsed | FrontMatterInvalid;

export function parseFrontMatter(text: string): FrontMatterResult;

/** The oracle CLI: prints its verdict and resolves to the exit code (0 done, 1 not done, 2 cannot judge). */
export function main(argv: readonly string[]): Promise<0 | 1 | 2>;

/** Every key a ticket's front matter may hold; the tracker's zod schema lists the same. */
export const TICKET_KEYS: readonly string[];

/** The known key a person most likely meant by `key`, or undefined. */
export function closestTicketKey(key: string): string | undefined;

/** Every front-matter key outside TICKET_KEYS, in file order, with its line, message and fix. */
export function unknownTicketKeys(data: Record<string, unknown>, keyLines: Record<string, number>): Array<{key: string; line: number; message: string; fix: string}>;
