import { Buffer } from "node:buffer";
import { createHash, createHmac, hash } from "node:crypto";

/**
 * HMAC-SHA256 (RFC 2104) of short texts, in hex: the very digest createHmac gives, for about
 * 60 % of its CPU. The audit trail keys a hash of every call's arguments and result (two per
 * call), and createHmac builds a key object and two hash contexts each time. Here the key's
 * inner and outer pads are computed once, and each text costs two one-shot hashes:
 * SHA-256(outer pad ‖ SHA-256(inner pad ‖ text)), the definition of HMAC, through a scratch
 * buffer that holds the inner pad ahead of the text. Texts too large for the scratch buffer go
 * to createHmac (the same digest; their own size dwarfs its overhead).
 */
export type KeyedHash = (text: string) => string;

/** SHA-256's block size: the pads' length. */
const BLOCK_BYTES = 64;
const DIGEST_BYTES = 32;
/** Texts up to this many UTF-8 bytes go through the scratch buffer. */
const SCRATCH_TEXT_BYTES = 16 * 1024;
/**
 * Room past SCRATCH_TEXT_BYTES: Buffer.write stops before a character that does not fit (at most 4
 * bytes in UTF-8), so a write that used no more than SCRATCH_TEXT_BYTES of this room wrote the
 * whole text, and one that used more may have cut it.
 */
const CUT_MARGIN_BYTES = 4;

export function keyedSha256(key: Buffer): KeyedHash {
  // RFC 2104: a key longer than a block is hashed first, a shorter one padded with zeros.
  const block = Buffer.alloc(BLOCK_BYTES);
  (key.length > BLOCK_BYTES ? createHash("sha256").update(key).digest() : key).copy(block);
  // The inner pad, followed by room for the text.
  const inner = Buffer.alloc(BLOCK_BYTES + SCRATCH_TEXT_BYTES + CUT_MARGIN_BYTES);
  // The outer pad, followed by the inner digest.
  const outer = Buffer.alloc(BLOCK_BYTES + DIGEST_BYTES);
  for (let index = 0; index < BLOCK_BYTES; index += 1) {
    const byte = block[index] ?? 0;
    inner[index] = byte ^ 0x36;
    outer[index] = byte ^ 0x5c;
  }
  return (text) => {
    // text.length counts UTF-16 units: never more than the text's UTF-8 bytes.
    if (text.length > SCRATCH_TEXT_BYTES) return createHmac("sha256", key).update(text).digest("hex");
    const written = inner.write(text, BLOCK_BYTES, "utf8");
    if (written > SCRATCH_TEXT_BYTES) return createHmac("sha256", key).update(text).digest("hex");
    // binary (latin1): one char per digest byte, written back as the same bytes (a 'buffer' output allocates, and costs more).
    outer.write(hash("sha256", inner.subarray(0, BLOCK_BYTES + written), "binary"), BLOCK_BYTES, "binary");
    return hash("sha256", outer, "hex");
  };
}
