/**
 * A foreground engine outlives whatever reads its output: `run --headless |
 * head -3` closes the pipe (EPIPE), a closed terminal sends SIGHUP and then
 * fails writes (EIO). Either would end the process mid-run, with its lock and
 * spare checkouts left behind. From here on such a failure only stops the
 * printing; the run goes on to its end and cleans up as usual.
 */
export function keepRunningWithoutOutput(): {closed: () => boolean} {
	let closed = false;
	const swallow = (error: NodeJS.ErrnoException) => {
		closed = true;
		// Anything but a gone reader is still worth knowing, and stderr may still be there.
		if (error.code !== 'EPIPE' && error.code !== 'EIO' && error.code !== 'ECONNRESET') {
			try {
				process.stderr.write(`proofloop: writing progress failed (${error.code ?? error.message}); the run goes on without printing\n`);
			} catch {
				// stderr is gone too.
			}
		}
	};
	process.stdout.on('error', swallow);
	process.stderr.on('error', () => undefined);
	process.on('SIGHUP', () => {
		closed = true;
	});
	return {closed: () => closed};
}
