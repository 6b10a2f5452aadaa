/**
 * buildah's layer cache, kept only for a Dockerfile's dependency steps: those up to its `RUN npm ci`, the layer that
 * node/Dockerfile means to be "reused until package.json or the lock file changes". A tag keeps that image (and so
 * its parents); every later step is rebuilt on each run and removed afterwards. When the dependencies change, the
 * tag moves and the previous dependency images are removed.
 */
import { buildah, imageExists, type BuildStep } from './buildah';

const DEPENDENCY_STEP = 'RUN npm ci';
const DEPENDENCIES_TAG = 'localhost/chat-image-test/node-dependencies:latest';

/** Removes images, newest first; `buildah rmi` also removes the untagged parents nothing else uses. */
async function removeImages(images: string[]): Promise<void> {
  for (const image of [...images].reverse()) if (await imageExists(image)) await buildah(['rmi', image]);
}

/** Tags the dependency image of this build; returns the removal of everything else it made, the built image included. */
export async function keepDependencyLayers(steps: BuildStep[]): Promise<() => Promise<void>> {
  const last = steps.findIndex((step) => step.instruction === DEPENDENCY_STEP);
  const dependencies = steps[last]?.image;
  if (!dependencies) throw new Error(`the build has no "${DEPENDENCY_STEP}" step: ${steps.map((step) => step.instruction).join(' | ')}`);
  const kept = steps.slice(0, last + 1).map((step) => step.image);
  const rebuilt = [...new Set(steps.slice(last + 1).map((step) => step.image))].filter((image) => !kept.includes(image));
  const previous = (await imageExists(DEPENDENCIES_TAG)) ? (await buildah(['inspect', '--type', 'image', '--format', '{{.FromImageID}}', DEPENDENCIES_TAG])).trim() : undefined;
  await buildah(['tag', dependencies, DEPENDENCIES_TAG]);
  return async () => {
    await removeImages(rebuilt);
    if (previous && !previous.startsWith(dependencies)) {
      // Another run on this machine may still be building on them: then they stay.
      await removeImages([previous]).catch((error: unknown) => process.stderr.write(`kept the previous dependency images: ${String(error)}\n`));
    }
  };
}
