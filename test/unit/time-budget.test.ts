import { TimeBudget, markFinished, markStarted, startCells } from '../../src/terminology/time-budget';
import { TerminologyError } from '../../src/terminology/issues';

/** The time budget of engine calls, with the worker thread played by the test. */
describe('the time budget of an engine call', () => {
  const budgets: TimeBudget[] = [];
  const budget = (limitMs: number, ended: number[] = []) => {
    const b = new TimeBudget(limitMs, (thread) => ended.push(thread), () => true);
    budgets.push(b);
    return b;
  };
  afterAll(() => budgets.forEach((b) => b.close()));

  it('a call that ends within its budget answers; its cell is free again', async () => {
    const b = budget(1000);
    const cells: number[] = [];
    for (let i = 0; i < 3; i++) {
      await expect(
        b.run('lookup', async (cell) => {
          cells.push(cell);
          markStarted(startCells(b.buffer), cell, 7);
          return 'answer';
        }, 3),
      ).resolves.toBe('answer');
    }
    expect(new Set(cells).size).toBe(1);
  });

  it('a call past its budget is abandoned: 422 too-costly, and its thread is ended', async () => {
    const ended: number[] = [];
    const b = budget(30, ended);
    let finish: () => void = () => undefined;
    const outcome = b.run('expand', (cell) => {
      markStarted(startCells(b.buffer), cell, 42);
      return new Promise<string>((resolve) => (finish = () => resolve('late')));
    }, 3);
    await expect(outcome).rejects.toMatchObject({ httpStatus: 422, issues: [expect.objectContaining({ code: 'too-costly' })] });
    expect(ended).toEqual([42]);
    finish();
  });

  it('time waiting for a thread does not count', async () => {
    const b = budget(30);
    const answer = b.run('lookup', (cell) => new Promise((resolve) => setTimeout(() => {
      markStarted(startCells(b.buffer), cell, 1);
      resolve('answer');
    }, 120)), 3);
    await expect(answer).resolves.toBe('answer');
  });

  it('a call that failed before it started (its thread was ended for another) runs again; one that had started does not', async () => {
    const b = budget(1000);
    let attempts = 0;
    const rerun = await b.run('lookup', async (cell) => {
      if (++attempts < 3) throw new Error('thread ended');
      markStarted(startCells(b.buffer), cell, 1);
      return 'answer';
    }, 3);
    expect([rerun, attempts]).toEqual(['answer', 3]);

    attempts = 0;
    await expect(b.run('lookup', async (cell) => {
      attempts++;
      markStarted(startCells(b.buffer), cell, 1);
      throw new Error('failed while running');
    }, 3)).rejects.toThrow('failed while running');
    expect(attempts).toBe(1);

    // a refusal is an answer, never run again
    attempts = 0;
    await expect(b.run('lookup', async () => {
      attempts++;
      throw TerminologyError.of({ severity: 'error', code: 'invalid', text: 'bad input' }, 400);
    }, 3)).rejects.toBeInstanceOf(TerminologyError);
    expect(attempts).toBe(1);
  });

  it('a call of a batch that had finished, whose answer was lost with its thread, runs again', async () => {
    const b = budget(1000);
    let attempts = 0;
    const answer = await b.run('lookup', async (cell) => {
      markStarted(startCells(b.buffer), cell, 1);
      if (++attempts === 1) {
        markFinished(startCells(b.buffer), cell);
        throw new Error('thread ended before the batch was answered');
      }
      return 'answer';
    }, 3);
    expect([answer, attempts]).toEqual(['answer', 2]);
  });
});
