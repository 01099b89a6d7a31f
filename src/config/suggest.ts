/**
 * "Did you mean" for misspelt config keys and enum values. A typo in a YAML key otherwise reads
 * as "unknown key" and leaves the user hunting through docs for the right spelling.
 */

/** The candidate closest to `word`, or undefined when none is close enough to be a likely typo. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  // Spelling the same name in another case style (inheritEnv, input_schema) is the most common
  // slip for people who read the TypeScript types or MCP docs, so it wins outright.
  const folded = fold(word);
  const sameName = candidates.find((candidate) => fold(candidate) === folded);
  if (sameName !== undefined) return sameName;

  // A third of the word's length keeps short words from matching everything.
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function fold(text: string): string {
  return text.toLowerCase().replace(/[_-]/g, "");
}

/**
 * Optimal-string-alignment distance: Levenshtein plus swapping two neighbouring letters as one
 * edit, because transpositions ("idel_ttl_s") are a typical typing error.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, at(i - 2, j - 2) + 1);
      }
      d[i * cols + j] = value;
    }
  }
  return at(a.length, b.length);
}
