// Loaded into every test file's process (`--import` in the Makefile's test command).
//
// With --test-force-exit, the runner ends each test file's process with process.exit() right
// after the last result is written to stdout, and the parent sometimes reads the pipe's end
// before the last frames arrive: those results are lost from the report and the counts, with
// exit code 0 (nodejs/node#64833; reproduced here: 2,000 empty tests reported as 1,975-2,000).
// A failure still fails the run (the exit code), but its details would be missing. So the
// child's exit waits until stdout has flushed what it was given, bounded by 2 s.
if (process.env.NODE_TEST_CONTEXT === 'child-v8') {
  const exitNow = process.exit.bind(process);
  let exiting = false;
  process.exit = ((code?: number | string | null) => {
    if (exiting) return exitNow(code);
    exiting = true;
    if (code !== undefined && code !== null) process.exitCode = code;
    process.stdout.write('', () => exitNow());
    setTimeout(() => exitNow(), 2000).unref();
  }) as typeof process.exit;
}
