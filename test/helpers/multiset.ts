// Counted delivery: the multiset of lines written against the multiset of records in the topic.

export interface MultisetDiff {
  /** Written more often than found: lost. */
  missing: number;
  /** Found more often than written: duplicates (or records nobody wrote). */
  extra: number;
}

export function multisetDiff(written: readonly string[], found: readonly string[]): MultisetDiff {
  const counts = new Map<string, number>();
  for (const line of written) counts.set(line, (counts.get(line) ?? 0) + 1);
  for (const value of found) counts.set(value, (counts.get(value) ?? 0) - 1);
  let missing = 0;
  let extra = 0;
  for (const n of counts.values()) {
    if (n > 0) missing += n;
    else extra -= n;
  }
  return { missing, extra };
}
