/**
 * The TypeScript code blocks of README.md, the package READMEs and the docs pages in DOCS, as files: a line that starts
 * with `// <path>.ts(x)` starts a new file of the block (files of one README and one kind share a
 * directory, so `import { handlers } from '../../smart'` resolves); the text before the first such
 * line is a file of its own. Each block is type-checked as the kind of app it belongs to.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/processes.js';
import { PACKAGES } from './helpers.js';

export type SnippetProject = 'node' | 'nest' | 'next';
export interface SnippetFile {
  readme: string;
  project: SnippetProject;
  /** Relative to the project's directory. */
  path: string;
  text: string;
}

export const READMES = ['README.md', ...PACKAGES.map((p) => `packages/${p}/README.md`)];
/** Docs pages whose blocks are checked too; the app files they import are fixtures of the outside app. */
export const DOCS = ['docs/testing.md'];

const MARKER = /^\/\/ ((?:[\w.[\]-]+\/)*[\w.[\]-]+\.(?:tsx?|mts|cts))(?=$|[\s,(—])/;

export function projectOf(code: string): SnippetProject {
  if (code.includes('@smart-launch/next') || /from 'next\//.test(code)) return 'next';
  if (code.includes('@smart-launch/nestjs') || code.includes('@nestjs/')) return 'nest';
  return 'node';
}

export function snippetFiles(): SnippetFile[] {
  const out: SnippetFile[] = [];
  // A package without a README fails the tarball test; here it just has no blocks.
  for (const readme of [...READMES, ...DOCS].filter((r) => existsSync(join(repoRoot, r)))) {
    const md = readFileSync(join(repoRoot, readme), 'utf8');
    const slug = readme.replace(/\/README\.md$|\.md$/, '').replace(/[^\w]+/g, '-') || 'root';
    let n = 0;
    for (const m of md.matchAll(/^```(ts|tsx|typescript)\n([\s\S]*?)^```/gm)) {
      n++;
      const code = m[2]!;
      const project = projectOf(code);
      const ext = m[1] === 'tsx' ? 'tsx' : 'ts';
      let current: SnippetFile = { readme, project, path: `${slug}/block${n}.${ext}`, text: '' };
      const files = [current];
      for (const line of code.split('\n')) {
        const marker = MARKER.exec(line);
        if (marker) {
          current = { readme, project, path: `${slug}/${marker[1]}`, text: '' };
          files.push(current);
        }
        current.text += `${line}\n`;
      }
      out.push(...files.filter((f) => f.text.trim() !== ''));
    }
  }
  return out;
}

const common = { strict: true, noEmit: true, skipLibCheck: true, esModuleInterop: true, forceConsistentCasingInFileNames: true };

/** The compiler options of each kind of app: strict, as the README promises. */
export const TSCONFIGS: Record<SnippetProject, object> = {
  // An ES module Node app (Express, core, sandbox): package.json "type": "module".
  node: { compilerOptions: { ...common, target: 'ES2022', lib: ['ES2023'], module: 'nodenext', moduleResolution: 'nodenext', types: ['node'] } },
  // What `nest new` generates (CommonJS, nodenext, decorators), plus strict; jest types for e2e specs.
  nest: { compilerOptions: { ...common, target: 'ES2023', module: 'nodenext', moduleResolution: 'nodenext', resolvePackageJsonExports: true, isolatedModules: true, experimentalDecorators: true, emitDecoratorMetadata: true, types: ['node', 'jest'] } },
  // What create-next-app generates (bundler resolution, react-jsx), strict.
  next: { compilerOptions: { ...common, target: 'ES2022', lib: ['dom', 'dom.iterable', 'ES2023'], module: 'esnext', moduleResolution: 'bundler', jsx: 'react-jsx', isolatedModules: true, types: ['node'] } },
};
