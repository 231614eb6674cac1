// How a bench script fails: a measurement that cannot be trusted (a run that
// failed, counters that disagree) is one line on stderr and exit code 1.

export class BenchError extends Error {}

/** Runs a bench's main(), turning a BenchError into that line. */
export async function runBench(main: () => void | Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (!(err instanceof BenchError)) throw err;
    process.stderr.write(`bench: FAILED: ${err.message}\n`);
    process.exitCode = 1;
  }
}
