import { ReadMarks, type ReadMark } from '../../../node/client/lib/read-marks';

/** A server that answers each mark when the test says so, and the marks in the order they were asked. */
function server() {
  const asked: ReadMark[] = [];
  const pending: (() => void)[] = [];
  const send = (mark: ReadMark) =>
    new Promise<ReadMark>((resolve) => {
      asked.push(mark);
      pending.push(() => resolve(mark));
    });
  const answerNext = async () => {
    pending.shift()?.();
    // Lets the answer's callbacks run.
    await Promise.resolve();
    await Promise.resolve();
  };
  return { asked, send, answerNext };
}

const flush = async () => {
  for (let i = 0; i < 3; i += 1) await Promise.resolve();
};

describe('read marks', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends one at a time, at most one a second, the newest per room, and a room left before its turn too', async () => {
    const { asked, send, answerNext } = server();
    const answered: ReadMark[] = [];
    const marks = new ReadMarks(send, (answer: ReadMark) => answered.push(answer), 1000);
    marks.mark({ room: 'general', messageId: 5 });
    await flush();
    expect(asked).toEqual([{ room: 'general', messageId: 5 }]);

    // While the first waits for its answer: more of general, then the reader moves to random.
    marks.mark({ room: 'general', messageId: 7 });
    marks.mark({ room: 'general', messageId: 6 });
    marks.mark({ room: 'random', messageId: 30 });
    await answerNext();
    expect(answered).toEqual([{ room: 'general', messageId: 5 }]);
    await flush();
    expect(asked).toHaveLength(1);

    jest.advanceTimersByTime(1000);
    await flush();
    expect(asked).toEqual([
      { room: 'general', messageId: 5 },
      { room: 'general', messageId: 7 },
    ]);
    await answerNext();
    jest.advanceTimersByTime(1000);
    await flush();
    expect(asked.at(-1)).toEqual({ room: 'random', messageId: 30 });
    marks.close();
  });

  it('goes on after a failed send: the failed mark is dropped, the next one still goes', async () => {
    const asked: ReadMark[] = [];
    const send = (mark: ReadMark) => {
      asked.push(mark);
      return mark.room === 'left' ? Promise.reject(new Error('no room named left')) : Promise.resolve(mark);
    };
    const marks = new ReadMarks(send, () => undefined, 1000);
    marks.mark({ room: 'left', messageId: 1 });
    marks.mark({ room: 'general', messageId: 2 });
    await flush();
    jest.advanceTimersByTime(1000);
    await flush();
    expect(asked.map((mark) => mark.room)).toEqual(['left', 'general']);
    marks.close();
  });
});
