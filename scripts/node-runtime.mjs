// The Node.js that builds, tests and runs Odin: Node 24 LTS. When the Node on PATH is another major, the pinned Node 24
// comes from the npm registry (the `node-<platform>-<arch>` packages carry the official binary and headers) into
// .tools/, without touching the system's Node; native addons are then built against its headers.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const NODE_VERSION = '24.22.3';
const REQUIRED_MAJOR = Number(NODE_VERSION.split('.')[0]);

const root = new URL('..', import.meta.url).pathname;

/** True when this process already runs the major version Odin targets. */
export function runsTargetNode() {
  return Number(process.versions.node.split('.')[0]) === REQUIRED_MAJOR;
}

/** Folder of the pinned Node distribution (bin/node, include/node), fetched on first use. */
export function pinnedNodeHome() {
  const pkg = `node-${process.platform}-${process.arch}`;
  const prefix = join(root, '.tools', `node-${NODE_VERSION}`);
  const home = join(prefix, 'node_modules', pkg);
  if (!existsSync(join(home, 'bin', 'node'))) {
    console.error(
      `Node ${process.versions.node} is not Node ${REQUIRED_MAJOR}: fetching ${pkg}@${NODE_VERSION} into .tools/`,
    );
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        prefix,
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        `${pkg}@${NODE_VERSION}`,
      ],
      { stdio: 'inherit' },
    );
  }
  return home;
}

/**
 * The node binary and environment to run project code with: this process's own when it is Node 24, else the pinned
 * one, with its bin/ first on PATH (so `node`, `npx` and child processes agree) and node-gyp pointed at its headers.
 */
export function targetNode(env = process.env) {
  if (runsTargetNode()) return { node: process.execPath, env };
  const home = pinnedNodeHome();
  const bin = join(home, 'bin');
  return {
    node: join(bin, 'node'),
    env: { ...env, PATH: `${bin}:${env.PATH ?? ''}`, npm_config_nodedir: home },
  };
}
