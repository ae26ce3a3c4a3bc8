import { CallBatch } from '../../src/terminology/call-batch';

/** Calls made in one turn of the event loop are sent together, in parts, and each gets its own answer. */
describe('a batch of calls', () => {
  const turn = () => new Promise((resolve) => setImmediate(resolve));

  it('sends the calls of one turn together, split into parts, and answers each with its own answer', async () => {
    const sent: number[][] = [];
    const batch = new CallBatch<number, string>(async (items) => {
      sent.push(items);
      return items.map((i) => `answer ${i}`);
    }, () => 2);
    const answers = Promise.all([1, 2, 3, 4, 5].map((i) => batch.add(i)));
    expect(sent).toEqual([]);
    await expect(answers).resolves.toEqual(['answer 1', 'answer 2', 'answer 3', 'answer 4', 'answer 5']);
    expect(sent).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('a part holds at most the given number of calls: a busy turn is sent in more parts', async () => {
    const sent: number[][] = [];
    const batch = new CallBatch<number, number>(async (items) => {
      sent.push(items);
      return items;
    }, () => 2, 2);
    await expect(Promise.all([1, 2, 3, 4, 5].map((i) => batch.add(i)))).resolves.toEqual([1, 2, 3, 4, 5]);
    expect(sent).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('a call made in a later turn goes in a batch of its own', async () => {
    const sent: number[][] = [];
    const batch = new CallBatch<number, number>(async (items) => {
      sent.push(items);
      return items;
    }, () => 4);
    const first = batch.add(1);
    await turn();
    const second = batch.add(2);
    await expect(Promise.all([first, second])).resolves.toEqual([1, 2]);
    expect(sent).toEqual([[1], [2]]);
  });

  it('a part that fails fails its own calls only', async () => {
    const batch = new CallBatch<number, number>(async (items) => {
      if (items.includes(1)) throw new Error('thread ended');
      return items;
    }, () => 2);
    const calls = [1, 2].map((i) => batch.add(i));
    await expect(calls[0]).rejects.toThrow('thread ended');
    await expect(calls[1]).resolves.toBe(2);
  });

  it('a part that throws as it is sent, or answers too few, fails its calls', async () => {
    const throwing = new CallBatch<number, number>(() => {
      throw new Error('pool closed');
    }, () => 1);
    await expect(throwing.add(1)).rejects.toThrow('pool closed');
    const short = new CallBatch<number, number>(async (items) => items.slice(1), () => 1);
    const calls = [1, 2].map((i) => short.add(i));
    await expect(calls[0]).resolves.toBe(2);
    await expect(calls[1]).rejects.toThrow('no answer');
  });
});
