/** Progress lines on stderr, prefixed with the seconds since the bench started, so a slow step is visible as it happens. */
const started = Date.now();

export function progress(message: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${seconds}s] ${message}\n`);
}
