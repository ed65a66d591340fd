import { ready } from './smart';

try {
  await ready();
} catch (e) {
  console.error(`example-next: ${(e as Error).message}`);
  process.exit(1);
}
