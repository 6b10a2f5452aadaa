/**
 * buildah's layer cache, kept only for a Dockerfile's dependency steps: those up to its `RUN npm ci`, the layer that
 * node/Dockerfile means to be "reused until package.json or the lock file changes". A tag keeps that image (and so
 * its parents); every later step is rebuilt on each run and removed afterwards. When the dependencies change, the
 * tag moves and the previous dependency images are removed.
 */
import { buildah, imageExists, type BuildStep } from './buildah';

const DEPENDENCY_STEP = 'RUN npm ci';
const DEPENDENCIES_TAG = 'localhost/chat-image-test/node-dependencies:latest';

interface HistoryEntry {
  created?: string;
  created_by?: string;
}

async function history(image: string): Promise<string[]> {
  const inspected = JSON.parse(await buildah(['inspect', '--type', 'image', image])) as { OCIv1: { history?: HistoryEntry[] } };
  return (inspected.OCIv1.history ?? []).map((entry) => `${entry.created} ${entry.created_by}`);
}

/**
 * Removes an image and its untagged parents. One that a container still uses stays: a build stopped half-way (Ctrl-C,
 * a killed run) leaves its working containers, and the next run's build reuses their cached steps.
 */
async function removeUnlessUsed(image: string): Promise<void> {
  await buildah(['rmi', image]).catch((error: unknown) => {
    if (!/in use by a container/.test(String(error))) throw error;
    process.stderr.write(`kept ${image} and the parents a container uses\n`);
  });
}

/**
 * Removes `built` and every image built on top of `dependencies` that nothing uses any more (the build stage's
 * steps, found by their history starting with the dependency image's). `buildah rmi` also removes the untagged
 * parents that nothing else uses, up to the tagged dependency image.
 */
async function removeBuiltOn(dependencies: string, built: string): Promise<void> {
  await removeUnlessUsed(built);
  const ancestry = await history(dependencies);
  const dangling = (await buildah(['images', '--all', '--filter', 'dangling=true', '--format', '{{.ID}}'])).split('\n').filter(Boolean);
  for (const image of dangling) {
    const lines = await history(image);
    if (lines.length > ancestry.length && ancestry.every((line, index) => lines[index] === line)) await removeUnlessUsed(image);
  }
}

/** Tags the dependency image of this build; returns the removal of everything else it made, `built` included. */
export async function keepDependencyLayers(steps: BuildStep[], built: string): Promise<() => Promise<void>> {
  const dependencies = steps.find((step) => step.instruction === DEPENDENCY_STEP)?.image;
  if (!dependencies) throw new Error(`the build has no "${DEPENDENCY_STEP}" step: ${steps.map((step) => step.instruction).join(' | ')}`);
  const previous = (await imageExists(DEPENDENCIES_TAG)) ? (await buildah(['inspect', '--type', 'image', '--format', '{{.FromImageID}}', DEPENDENCIES_TAG])).trim() : undefined;
  await buildah(['tag', dependencies, DEPENDENCIES_TAG]);
  return async () => {
    await removeBuiltOn(dependencies, built);
    if (previous && !previous.startsWith(dependencies)) {
      // Another run on this machine may still be building on them: then they stay.
      await buildah(['rmi', previous]).catch((error: unknown) => process.stderr.write(`kept the previous dependency images: ${String(error)}\n`));
    }
  };
}
