/**
 * Redis restarts in the middle of a conversation between two server processes (the production build) that share a
 * private redis-server. Members on both processes keep sending before, during and after the outage; every message
 * that was acknowledged reaches every member, on either process, without a reconnect: broadcasts made while Redis
 * is down reach the members on their own process at once, wait in the adapter's queue for the other process and go
 * into the stream when it is back, and each process reads the stream on from the last entry it saw. (socket.io's
 * pub/sub adapter loses exactly these.)
 */
import { register } from '../support/client';
import { createPrivateRedis, type PrivateRedis } from '../support/redis-server';
import { waitFor } from '../support/wait';
import { Member, missingAt } from './members';
import { startTwoProcesses, type ServerProcess, type TwoProcesses } from './two-processes';

const MEMBERS_PER_PROCESS = 3;
/** Within the per-socket message rate (5 a second). */
const PAUSE_BETWEEN_SENDS_MS = 250;
/** Acknowledged sends every member makes in each phase: before the outage, during it, after it. */
const SENDS_PER_PHASE = 3;

let redis: PrivateRedis;
let cluster: TwoProcesses;
let processes: ServerProcess[] = [];
const members: Member[] = [];

beforeAll(async () => {
  redis = await createPrivateRedis();
  await redis.start();
  cluster = await startTwoProcesses({ SESSION_REDIS: redis.url });
  processes = cluster.processes;
}, 180_000);

afterAll(async () => {
  for (const member of members) member.close();
  await Promise.allSettled([cluster.remove(), redis.remove()]);
});

/** Resolves once every member has `count` more acknowledged sends than in `before`. */
async function eachSendsMore(before: number[], count: number): Promise<void> {
  await waitFor(() => members.every((member, index) => member.acked.size >= (before[index] ?? 0) + count), {
    context: () => `acknowledged: ${members.map((member) => member.acked.size).join(', ')}; refused: ${members.flatMap((member) => member.refusals).join(', ')}`,
  });
}

const ackCounts = () => members.map((member) => member.acked.size);

test('a Redis restart mid-conversation loses no broadcast: every acknowledged message reaches every member on both processes', async () => {
  // Everyone is a member of general; half of them talk to each process.
  for (const server of processes) {
    for (let index = 0; index < MEMBERS_PER_PROCESS; index += 1) {
      const member = new Member(await register(server.url), 'general');
      await member.connect(server.url);
      members.push(member);
    }
  }
  for (const member of members) member.startSending(PAUSE_BETWEEN_SENDS_MS);
  await eachSendsMore([], SENDS_PER_PHASE);

  await redis.stop();
  const beforeOutage = ackCounts();
  // Sends go on while Redis is down: stored in PostgreSQL and acknowledged; their broadcasts wait.
  await eachSendsMore(beforeOutage, SENDS_PER_PHASE);
  const duringOutage = ackCounts().map((count, index) => count - (beforeOutage[index] ?? 0));
  // Members on the same process hear each other while Redis is down: only the broadcasts for the other process wait.
  const processOf = (index: number) => Math.floor(index / MEMBERS_PER_PROCESS);
  const ackedOnProcess = (server: number) =>
    members.filter((_, index) => processOf(index) === server).flatMap((member) => [...member.acked.values()].map((message) => message.id));
  await waitFor(() => members.every((member, index) => missingAt(member, ackedOnProcess(processOf(index))).length === 0), {
    context: () => `missing on their own process: ${members.map((member, index) => missingAt(member, ackedOnProcess(processOf(index))).length).join(', ')}`,
  });

  await redis.start();
  await waitFor(async () => (await Promise.all(processes.map(async (server) => (await fetch(`${server.url}/readyz`)).status))).every((status) => status === 200));
  await eachSendsMore(ackCounts(), SENDS_PER_PHASE);
  await Promise.all(members.map((member) => member.stopSending()));

  const acknowledged = members.flatMap((member) => [...member.acked.values()].map((message) => message.id));
  const everyoneHasAll = () => members.every((member) => missingAt(member, acknowledged).length === 0);
  // Bounds the wait for the last broadcasts; what is still missing then is reported below.
  await waitFor(everyoneHasAll).catch(() => undefined);

  expect(duringOutage.every((count) => count >= SENDS_PER_PHASE)).toBe(true);
  expect(members.map((member) => missingAt(member, acknowledged))).toEqual(members.map(() => []));
  // Nobody had to reconnect, and nothing was refused or left without an answer.
  expect(members.every((member) => member.connected)).toBe(true);
  expect(members.flatMap((member) => [...member.unacked.keys(), ...member.refusals])).toEqual([]);
  // Both processes lived through it without an error.
  expect(processes.map((server) => server.child.exitCode)).toEqual([null, null]);
  expect(processes.flatMap((server) => server.lines.filter((line) => /"level":(50|60)/.test(line)))).toEqual([]);
}, 90_000);
