import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type * as Minio from 'minio';
import type { Logger } from '../logger';
import type { ImageType } from './sniff';

/** Object keys are `<userId>-<uuid>.<ext>`: one path segment, unguessable, never reused (so cacheable forever). */
export const AVATAR_KEY_PATTERN = /^[0-9]{1,19}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.(png|jpg|webp)$/;

const MIME_BY_EXTENSION: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp' };

export function newAvatarKey(userId: number, type: ImageType): string {
  return `${userId}-${randomUUID()}.${type.extension}`;
}

export function mimeOfKey(key: string): string {
  return MIME_BY_EXTENSION[key.slice(key.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}

export interface AvatarObject {
  stream: Readable;
  size: number;
  etag: string;
}

/** The avatar bucket; created on first use if missing, remembered once it exists. */
export class AvatarStorage {
  private bucketReady: Promise<void> | undefined;

  constructor(
    private readonly s3: Minio.Client,
    readonly bucket: string,
    private readonly region: string,
    private readonly logger: Logger,
  ) {}

  /** Creates the bucket if needed; a failure is forgotten so that the next call tries again. */
  ensureBucket(): Promise<void> {
    this.bucketReady ??= (async () => {
      if (!(await this.s3.bucketExists(this.bucket))) {
        await this.s3.makeBucket(this.bucket, this.region);
        this.logger.info({ bucket: this.bucket }, 'avatar bucket created');
      }
    })().catch((error: unknown) => {
      this.bucketReady = undefined;
      throw error;
    });
    return this.bucketReady;
  }

  async put(key: string, bytes: Buffer, type: ImageType): Promise<void> {
    await this.ensureBucket();
    await this.s3.putObject(this.bucket, key, bytes, bytes.length, {
      'Content-Type': type.mime,
      'Cache-Control': 'public, max-age=31536000, immutable',
    });
  }

  async remove(key: string): Promise<void> {
    await this.s3.removeObject(this.bucket, key);
  }

  async open(key: string): Promise<AvatarObject> {
    const stat = await this.s3.statObject(this.bucket, key);
    const stream = await this.s3.getObject(this.bucket, key);
    return { stream, size: stat.size, etag: stat.etag };
  }

  /** Keys in the bucket (tests and operators: to see that nothing is orphaned). */
  async keys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const item of this.s3.listObjectsV2(this.bucket, '', true) as AsyncIterable<{ name?: string }>) {
      if (item.name) keys.push(item.name);
    }
    return keys;
  }
}

/** S3 errors that mean "no such object", as opposed to "S3 is unreachable". */
export function isMissingObject(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchBucket';
}
