/**
 * Sizes written the way people write them: `16MiB`, `512 KiB`, `1MB`, `4096`. Decimal units are
 * powers of 1000 and binary ones powers of 1024, as IEC says, so `1MB` is 1,000,000 bytes and
 * `1MiB` is 1,048,576. A bare `K`/`M`/`G` is refused because it could mean either.
 */

const UNITS: Readonly<Record<string, bigint>> = {
  "": 1n,
  b: 1n,
  kb: 10n ** 3n,
  mb: 10n ** 6n,
  gb: 10n ** 9n,
  tb: 10n ** 12n,
  kib: 2n ** 10n,
  mib: 2n ** 20n,
  gib: 2n ** 30n,
  tib: 2n ** 40n,
};

const SIZE = /^(\d+)(?:\.(\d*))?\s*([a-z]*)$|^\.(\d+)\s*([a-z]*)$/i;

export const BYTE_SIZE_FORMS = "a whole number of bytes or a size like 16MiB, 512KiB or 1MB (KB/MB/GB = 1000-based, KiB/MiB/GiB = 1024-based)";

/**
 * The number of bytes `text` stands for, or undefined when it is not a size. Exact: `1.1KB` is
 * 1100, not 1100.0000000000002. A fraction of a byte (`1.5B`) comes back as a fraction, for the
 * caller to refuse as it sees fit.
 */
export function parseByteSize(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (match === null) return undefined;
  const whole = match[1] ?? "0";
  const fraction = match[2] ?? match[4] ?? "";
  const multiplier = UNITS[(match[3] ?? match[5] ?? "").toLowerCase()];
  if (multiplier === undefined) return undefined;
  const scale = 10n ** BigInt(fraction.length);
  const numerator = BigInt(whole + fraction) * multiplier;
  return numerator % scale === 0n ? Number(numerator / scale) : Number(numerator) / Number(scale);
}
