import { readFile } from 'node:fs/promises';
import { isSmartError } from '@smart-launch/core';

/** Where the CLI writes and what it reads from the environment (tests pass their own). */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
}

export const defaultIo = (): CliIo => ({
  stdout: (t) => process.stdout.write(`${t}\n`),
  stderr: (t) => process.stderr.write(`${t}\n`),
  env: process.env,
});

/** A usage mistake: printed with the command's help, exit code 2. */
export class UsageError extends Error {}

/**
 * A private key given as a file path, or inline (JWK JSON or PEM), e.g. from an environment
 * variable. The key itself never reaches a message.
 */
export async function readKey(value: string): Promise<string> {
  const v = value.trim();
  if (v.startsWith('{') || v.includes('-----BEGIN')) return v;
  try {
    return await readFile(v, 'utf8');
  } catch {
    throw new UsageError(`cannot read the private key file "${v}"`);
  }
}

/** Messages of SmartErrors are safe to print (no tokens, secrets or keys); OAuth fields too. */
export function describeError(e: unknown): string {
  if (isSmartError(e)) {
    const oauth = e.oauth?.error_uri ? ` (see ${e.oauth.error_uri})` : '';
    return `${e.code}: ${e.message}${oauth}`;
  }
  return e instanceof Error ? e.message : String(e);
}
