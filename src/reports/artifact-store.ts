import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Report artifact files under DATA_DIR (alerts-reports §13.1): never a publicly served
 * directory; downloads go through the authenticated routes. Writes are atomic (a temporary file
 * renamed into place), so a reader never sees half a PDF and a crash leaves the old file or none.
 */
export interface ArtifactStore {
  write(storageKey: string, bytes: Buffer): Promise<{ sizeBytes: number; sha256: string }>;
  /** The bytes, or null when the file is gone (expired, or a new machine): the caller rebuilds. */
  read(storageKey: string): Promise<Buffer | null>;
  remove(storageKey: string): Promise<void>;
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function createArtifactStore(dataDir: string): ArtifactStore {
  const root = path.resolve(dataDir);
  const resolve = (storageKey: string): string => {
    const full = path.resolve(root, storageKey);
    // Keys are built by artifactStorageKey from ids; refuse anything that would leave DATA_DIR.
    if (!full.startsWith(`${root}${path.sep}`)) throw new Error(`Invalid artifact key: ${storageKey}`);
    return full;
  };
  return {
    async write(storageKey, bytes) {
      const target = resolve(storageKey);
      await mkdir(path.dirname(target), { recursive: true });
      const temporary = `${target}.${randomUUID()}.tmp`;
      try {
        await writeFile(temporary, bytes);
        await rename(temporary, target);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
      return { sizeBytes: bytes.length, sha256: sha256Hex(bytes) };
    },
    async read(storageKey) {
      try {
        return await readFile(resolve(storageKey));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async remove(storageKey) {
      await rm(resolve(storageKey), { force: true });
    },
  };
}
