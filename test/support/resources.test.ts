import { Client } from 'pg';
import { createTestDatabase, createTestVhost, startTestS3 } from './resources';
import * as Minio from 'minio';
import amqp from 'amqplib';

describe('throwaway test resources', () => {
  it('creates a migrated database and drops it', async () => {
    const database = await createTestDatabase();
    const client = new Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    await client.end();
    expect(rows.map((row) => row.table_name)).toEqual(
      expect.arrayContaining(['event_outbox', 'messages', 'room_members', 'rooms', 'users']),
    );
    await database.drop();
  });

  it('creates a vhost guest can use', async () => {
    const vhost = await createTestVhost();
    const connection = await amqp.connect(vhost.uri);
    await connection.close();
    await vhost.drop();
    await expect(amqp.connect(vhost.uri)).rejects.toThrow();
  });

  it('runs an S3 server the minio client can write to', async () => {
    const s3 = await startTestS3();
    const client = new Minio.Client({
      endPoint: s3.endpoint,
      port: s3.port,
      useSSL: false,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
    });
    await client.makeBucket(s3.bucket);
    await client.putObject(s3.bucket, 'hello.txt', Buffer.from('hi'));
    const stat = await client.statObject(s3.bucket, 'hello.txt');
    expect(stat.size).toBe(2);
    await s3.stop();
  });
});
