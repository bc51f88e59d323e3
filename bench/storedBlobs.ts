import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningAzurite } from '../test/helpers/azurite.js';

/** One blob to hold: its name, its body's length and its metadata. */
export interface StoredBlob {
  readonly name: string;
  readonly body: string;
  readonly metadata: Record<string, string>;
}

/** The parts of Azurite's LokiJS database file this module reads and writes. */
interface LokiCollection {
  name: string;
  data: Record<string, unknown>[];
  maxId: number;
  idIndex: number[] | null;
  binaryIndices: Record<string, { name: string; dirty: boolean; values: number[] }>;
}

const blobsCollection = '$BLOBS_COLLECTION$';
const databaseFile = '__azurite_db_blob__.json';

/**
 * Fills a container of a persistent Azurite with `count` blobs fast.
 *
 * Azurite checks each Put Blob against every blob it holds, so seeding 100,000 blobs through
 * the API takes the better part of an hour. Instead one blob is written through the SDK as a
 * template, Azurite is stopped, its database file is given a copy of that record per blob
 * (names in sorted order, so each LokiJS index is simply 0..n-1), and Azurite is started on it.
 * Every copy shares the template's stored bytes: listing and metadata are real, bodies are not.
 */
export async function seedStoredBlobs(
  azurite: RunningAzurite,
  containerName: string,
  count: number,
  blobAt: (index: number) => StoredBlob,
): Promise<void> {
  const container = azurite.blobService.getContainerClient(containerName);
  await container.createIfNotExists();
  const first = blobAt(0);
  await container.getBlockBlobClient(first.name).upload(first.body, first.body.length, {
    metadata: first.metadata,
  });
  await azurite.restart(0, async (location) => {
    const path = join(location, databaseFile);
    const database = JSON.parse(await readFile(path, 'utf8')) as { collections: LokiCollection[] };
    const blobs = database.collections.find((c) => c.name === blobsCollection);
    const template = blobs?.data.find((doc) => doc.name === first.name);
    if (blobs === undefined || template === undefined)
      throw new Error(`Azurite's ${databaseFile} does not hold the template blob`);
    const chosen = Array.from({ length: count }, (_, index) => blobAt(index));
    chosen.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    blobs.data = chosen.map((blob, position) => {
      const properties = template.properties as Record<string, unknown>;
      const md5 = createHash('md5').update(blob.body).digest();
      return {
        ...template,
        name: blob.name,
        metadata: blob.metadata,
        properties: {
          ...properties,
          contentLength: Buffer.byteLength(blob.body),
          contentMD5: { type: 'Buffer', data: [...md5] },
          etag: `"0x1CB9${position.toString(16).toUpperCase().padStart(11, '0')}"`,
        },
        $loki: position + 1,
      };
    });
    blobs.maxId = count;
    blobs.idIndex = null;
    const identity = Array.from({ length: count }, (_, index) => index);
    for (const index of Object.values(blobs.binaryIndices)) {
      index.values = identity;
      index.dirty = false;
    }
    await writeFile(path, JSON.stringify(database));
  });
}
