import {
  emptyBatch,
  type ActivitySample,
  type PainObservationItem,
  type ParsedBatch,
  type Rejection,
  type SampleRetraction,
} from '../types';

/** Items (samples, pains, retractions, rejections) per batch: keeps memory bounded for huge exports. */
export const MAX_BATCH_ITEMS = 5_000;

/** Collects a parser's output into batches of at most MAX_BATCH_ITEMS items. */
export class BatchBuilder {
  private current = emptyBatch();
  private size = 0;
  private readonly full: ParsedBatch[] = [];
  private yielded = false;

  sample(sample: ActivitySample): void {
    this.current.samples.push(sample);
    this.added();
  }

  pain(pain: PainObservationItem): void {
    this.current.pains.push(pain);
    this.added();
  }

  retract(retraction: SampleRetraction): void {
    this.current.retractions.push(retraction);
    this.added();
  }

  reject(rejection: Rejection): void {
    this.current.rejections.push(rejection);
    this.added();
  }

  /** The batches filled so far, handed over once. */
  drain(): ParsedBatch[] {
    const batches = this.full.splice(0);
    if (batches.length > 0) this.yielded = true;
    return batches;
  }

  /** Everything left: a parser always yields at least one batch, even an empty one. */
  finish(): ParsedBatch[] {
    const batches = this.drain();
    if (this.size > 0 || (!this.yielded && batches.length === 0)) {
      batches.push(this.current);
      this.current = emptyBatch();
      this.size = 0;
      this.yielded = true;
    }
    return batches;
  }

  private added(): void {
    this.size += 1;
    if (this.size >= MAX_BATCH_ITEMS) {
      this.full.push(this.current);
      this.current = emptyBatch();
      this.size = 0;
    }
  }
}
