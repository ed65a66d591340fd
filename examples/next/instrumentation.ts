// Runs once when the server starts: a bad config stops it with a message naming the key.
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') await import('./instrumentation-node');
}
