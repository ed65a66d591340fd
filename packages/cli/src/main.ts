import { discover, DISCOVER_HELP } from './commands/discover.js';
import { keys, KEYS_HELP } from './commands/keys.js';
import { register, REGISTER_HELP } from './commands/register.js';
import { token, TOKEN_HELP } from './commands/token.js';
import { readFileSync } from 'node:fs';
import { defaultIo, describeError, UsageError, type CliIo } from './io.js';

export type { CliIo } from './io.js';

const COMMANDS = { keys: [keys, KEYS_HELP], discover: [discover, DISCOVER_HELP], register: [register, REGISTER_HELP], token: [token, TOKEN_HELP] } as const;
const HELP = `smart-launch <command>   (smart-launch --version prints the version)\n\n${Object.values(COMMANDS).map(([, h]) => h).join('\n\n')}`;

/** This package's version (src/ and dist/ both sit one level below package.json). */
export function version(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage). Never prints tokens, secrets or keys unless asked. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    io.stdout(version());
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(HELP);
    return name ? 0 : 2;
  }
  const entry = COMMANDS[name as keyof typeof COMMANDS];
  if (!entry) {
    io.stderr(`unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(entry[1]);
    return 0;
  }
  try {
    return await entry[0](rest, io);
  } catch (e) {
    const usage = e instanceof UsageError || (e as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS');
    io.stderr(`smart-launch ${name}: ${describeError(e)}${usage ? `\n\n${entry[1]}` : ''}`);
    return usage ? 2 : 1;
  }
}
