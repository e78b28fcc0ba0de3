import { PARSERS } from './parsers';
import { sampleProblem } from './sample-checks';
import type { ImportFormat, ParseContext, ParsedBatch, Payload } from './types';

/**
 * Parses a payload of any supported format into batches of normalized samples, moving every
 * sample that cannot be stored (future, negative, absurd, end before start) to the
 * rejections with its reason. Pure apart from consuming the payload stream.
 */
export async function* parseImport(
  format: ImportFormat,
  payload: Payload,
  ctx: ParseContext,
): AsyncIterable<ParsedBatch> {
  const parser = PARSERS[format];
  if (!parser) throw new Error(`no parser for format ${format}`);
  for await (const batch of parser(payload, ctx)) yield checkedBatch(batch, ctx.now);
}

/** A parser's batch with every sample that cannot be stored moved to the rejections. */
export function checkedBatch(batch: ParsedBatch, now: Date): ParsedBatch {
  const checked: ParsedBatch = {
    samples: [],
    pains: batch.pains,
    retractions: batch.retractions,
    rejections: [...batch.rejections],
  };
  for (const sample of batch.samples) {
    const problem = sampleProblem(sample, now);
    if (problem) checked.rejections.push({ ...sample.ref, reason: problem });
    else checked.samples.push(sample);
  }
  return checked;
}
