import { Buffer } from "node:buffer";
import { randomFillSync } from "node:crypto";

/**
 * A call's correlation id: a UUIDv7 — its first 48 bits the time in ms, the rest random — so ids
 * sort by when the call was made. The audit trail indexes them (events_by_correlation): a random
 * UUIDv4 put each call's rows in a random leaf of that index (a page read and written per row
 * once the file outgrows the writer's 2 MB cache), a time-ordered id puts them at its end.
 *
 * The id's text is written into one reused buffer and read out as one string: the time's digits
 * only when the millisecond changes, 18 random digits and the variant from a pool of random
 * bytes refilled 256 ids at a time. uuid's v7() (and node's randomUUID()) build the text from a
 * string per byte, ≈ 0.7–1 KB of garbage per id; this makes the id's string and nothing else.
 */
const TEMPLATE = "00000000-0000-7000-8000-000000000000";
const HEX = Buffer.from("0123456789abcdef", "latin1");
/** Where the 48-bit time's 12 hex digits go, most significant first. */
const TIME_DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12];
/** Where the random digits go: 12 bits after the version, 12 after the variant digit, 48 at the end. */
const RANDOM_DIGITS = [15, 16, 17, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35];
const VARIANT_DIGIT = 19;
/** 9 bytes for the random digits, one for the variant's two random bits. */
const BYTES_PER_ID = RANDOM_DIGITS.length / 2 + 1;

const text = Buffer.from(TEMPLATE, "latin1");
const pool = Buffer.alloc(BYTES_PER_ID * 256);
let next = pool.length;
let stampedMs = -1;

export function newCorrelationId(): string {
  const now = Date.now();
  if (now !== stampedMs) stampTime(now);
  if (next + BYTES_PER_ID > pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  for (let digit = 0; digit < RANDOM_DIGITS.length; digit += 2) {
    const byte = pool[next++] as number;
    text[RANDOM_DIGITS[digit] as number] = HEX[byte >> 4] as number;
    text[RANDOM_DIGITS[digit + 1] as number] = HEX[byte & 15] as number;
  }
  // RFC 9562's variant `10`, then two random bits.
  text[VARIANT_DIGIT] = HEX[8 | ((pool[next++] as number) & 3)] as number;
  return text.toString("latin1");
}

function stampTime(ms: number): void {
  stampedMs = ms;
  let rest = ms;
  for (let digit = TIME_DIGITS.length - 1; digit >= 0; digit--) {
    text[TIME_DIGITS[digit] as number] = HEX[rest % 16] as number;
    rest = Math.floor(rest / 16);
  }
}
