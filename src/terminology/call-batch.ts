/**
 * Calls made during one turn of the event loop, sent on together. Under load the HTTP thread
 * reads many requests in one turn (about twenty at 50 connections), and handing each of them to
 * a worker thread on its own cost it a message, a wake-up of the sleeping worker and the answer's
 * own message: the dearest part of a $lookup on the HTTP thread. Batched, a turn's calls cost one
 * message and one wake-up per part, and their answers come back in one message.
 */
export class CallBatch<Item, Answer> {
  private pending: { item: Item; resolve: (a: Answer) => void; reject: (e: unknown) => void }[] = [];

  constructor(
    /** sends some of the turn's items; answers them in the same order */
    private readonly send: (items: Item[]) => Promise<Answer[]>,
    /** into how many parts a turn's items are split (each goes to a thread of its own, when there is one) */
    private readonly parts: () => number,
    /** the most items one part holds (more parts when a turn has more) */
    private readonly most = Infinity,
  ) {}

  /** Answers the item once its part has been answered; sent at the end of this turn of the event loop. */
  add(item: Item): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      if (this.pending.push({ item, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const all = this.pending;
    this.pending = [];
    const size = Math.min(this.most, Math.ceil(all.length / Math.max(1, this.parts())));
    for (let at = 0; at < all.length; at += size) {
      const part = all.slice(at, at + size);
      let sent: Promise<Answer[]>;
      try {
        sent = this.send(part.map((p) => p.item));
      } catch (e) {
        sent = Promise.reject(e);
      }
      sent.then(
        (answers) => part.forEach((p, i) => (i < answers.length ? p.resolve(answers[i]) : p.reject(new Error('no answer for a call of the batch')))),
        (e) => part.forEach((p) => p.reject(e)),
      );
    }
  }
}
