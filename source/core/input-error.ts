/** Bad input: the message names the problem and the fix; the exit is non-zero and nothing was written. */
export class InputError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'InputError';
	}
}
