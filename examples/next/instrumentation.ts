// Runs once when the server starts: a bad config prints the error (naming the key) and stops
// `next start` with exit code 1 (Next.js would otherwise log it and answer 500 to every request).
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') await (await import('./smart')).ready({ exitOnError: true });
}
