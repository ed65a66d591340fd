/**
 * oidc-provider prints its notices itself (console.warn / console.info, "oidc-provider WARNING:
 * ..."): "Unsupported runtime" when it is imported on Node 20, "already parsed request body" at the
 * first form POST (the sandbox reads bodies before it). `quiet: true` means none of them.
 *
 * Notices printed while the sandbox's modules load are held back: the first sandbox started
 * without `quiet` prints them, quiet ones never do. While a quiet sandbox runs, notices are
 * dropped (oidc-provider prints each one once per process). Nothing else is touched.
 */
type Level = 'warn' | 'info';

const held: [Level, unknown[]][] = [];
let holding = false;
let quietSandboxes = 0;
let installed: Record<Level, (...args: unknown[]) => void> | undefined;
let originals: Record<Level, (...args: unknown[]) => void> | undefined;

function isNotice(args: unknown[]): boolean {
  // Colours are added on a TTY: skip an ANSI prefix.
  return typeof args[0] === 'string' && args[0].replace(/^\x1b\[[\d;]*m/, '').startsWith('oidc-provider ');
}

function install(): void {
  if (installed) return;
  originals = { warn: console.warn, info: console.info };
  const wrap = (level: Level) => (...args: unknown[]) => {
    if (isNotice(args)) {
      if (holding) return void held.push([level, args]);
      if (quietSandboxes > 0) return;
    }
    originals![level].apply(console, args);
  };
  installed = { warn: wrap('warn'), info: wrap('info') };
  console.warn = installed.warn;
  console.info = installed.info;
}

function uninstall(): void {
  if (!installed || holding || quietSandboxes > 0) return;
  // Restore only what is still ours; a wrapper installed after ours stays, and ours passes through.
  if (console.warn === installed.warn) console.warn = originals!.warn;
  if (console.info === installed.info) console.info = originals!.info;
  installed = undefined;
}

/** Called first thing by the package entry, before oidc-provider is imported. */
export function holdImportNotices(): void {
  holding = true;
  install();
}

/** Called by the package entry once its imports have run. */
export function releaseImportNotices(): void {
  holding = false;
  uninstall();
}

/** A sandbox starts: quiet ones silence notices until they stop; others print held ones. */
export function sandboxStarted(quiet: boolean): () => void {
  if (!quiet) {
    for (const [level, args] of held.splice(0)) console[level](...args);
    return () => {};
  }
  held.length = 0;
  quietSandboxes += 1;
  install();
  let done = false;
  return () => {
    if (done) return;
    done = true;
    quietSandboxes -= 1;
    uninstall();
  };
}
