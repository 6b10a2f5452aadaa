/**
 * buildah's layer cache, kept only for a Dockerfile's dependency steps: those up to its `RUN npm ci`, the layer that
 * node/Dockerfile means to be "reused until package.json or the lock file changes". Every later step is rebuilt on
 * each run and its images removed afterwards; when the dependencies change, the previous dependency images go too.
 * The kept images' ids are remembered in a file, so the next run knows what it may remove.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { buildah, type BuildStep } from './buildah';

const DEPENDENCY_STEP = 'RUN npm ci';

async function removeImages(images: string[]): Promise<void> {
  // Newest first: an image with children cannot be removed.
  for (const image of [...images].reverse()) await buildah(['rmi', image]);
}

/** Records which images of this build to keep; returns the removal of all the others (the built image included). */
export function keepDependencyLayers(steps: BuildStep[], stateFile: string): () => Promise<void> {
  const last = steps.findIndex((step) => step.instruction === DEPENDENCY_STEP);
  if (last < 0) throw new Error(`the build has no "${DEPENDENCY_STEP}" step: ${steps.map((step) => step.instruction).join(' | ')}`);
  const kept = steps.slice(0, last + 1).map((step) => step.image);
  const rebuilt = [...new Set(steps.slice(last + 1).map((step) => step.image))].filter((image) => !kept.includes(image));
  const previous = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as string[]) : [];
  writeFileSync(stateFile, JSON.stringify(kept));
  return async () => {
    await removeImages(rebuilt);
    const stale = previous.filter((image) => !kept.includes(image));
    // Another run on this machine may still be building on them: then they stay until a later run finds them stale.
    await removeImages(stale).catch((error: unknown) => process.stderr.write(`kept the previous dependency images: ${String(error)}\n`));
  };
}
