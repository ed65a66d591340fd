// Runs once when the server starts: a bad config stops it with a message naming the key.
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  try {
    await (await import('./smart')).ready();
  } catch (e) {
    console.error(`example-next: ${(e as Error).message}`);
    process.exit(1);
  }
}
