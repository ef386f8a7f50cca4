package dev.driftless.search;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The {@code _id} under which the sinks store a key: one injective mapping from key ids ({@link
 * dev.driftless.core.DocumentKey#id()}) to ids the engines accept, used by every request that
 * writes or looks up {@code _id} (bulk index and delete, tombstones, real-time reads, the {@code
 * ids} queries of reconciliation's point reads).
 *
 * <p>The engines refuse an empty {@code _id} and one over {@value #MAX_BYTES} UTF-8 bytes, while a
 * database accepts both as keys. So:
 *
 * <ul>
 *   <li>an <b>ordinary</b> id (not empty, at most {@value #MAX_BYTES} bytes in UTF-8, not starting
 *       with {@value #ENCODED_PREFIX}) is its own {@code _id}, as it always was;
 *   <li>every other id is <b>encoded</b>: {@value #ENCODED_PREFIX} followed by the URL-safe base64
 *       (RFC 4648 §5, no padding: 43 characters) of the SHA-256 of the id's UTF-8 bytes.
 * </ul>
 *
 * <p>Ordinary ids never start with the prefix and encoded ones always do, so the two never meet; an
 * id that starts with the prefix is encoded even when short, so that no key can take another's
 * {@code _id} by spelling its encoded form. Two encoded ids share an {@code _id} only if SHA-256
 * collides. (A lone surrogate, which no database text holds, counts as its three-byte generalized
 * UTF-8 form, so that the mapping stays injective over every Java string.)
 *
 * <p>Where the {@code _id} is an encoded one, the key itself is stored in full in {@value
 * MetadataFields#KEY}; listings read keys from there, else from {@code _id}.
 *
 * <p>Thread-safe; pure functions.
 */
public final class EngineIds {

  /** The engines' limit on {@code _id}, in UTF-8 bytes. */
  public static final int MAX_BYTES = 512;

  /** What every encoded {@code _id} starts with, and no ordinary one does. */
  public static final String ENCODED_PREFIX = "~driftless:";

  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

  private EngineIds() {}

  /** The {@code _id} of the key whose id is {@code keyId}. */
  public static String of(String keyId) {
    return isOrdinary(keyId) ? keyId : ENCODED_PREFIX + BASE64URL.encodeToString(sha256(keyId));
  }

  /** Whether {@code keyId} is stored under an {@code _id} of its own text. */
  public static boolean isOrdinary(String keyId) {
    if (keyId.isEmpty() || keyId.startsWith(ENCODED_PREFIX)) {
      return false;
    }
    // A char is at most 3 bytes (a surrogate pair is 4 for 2 chars): short ids need no count.
    return keyId.length() * 3 <= MAX_BYTES || utf8(keyId).length <= MAX_BYTES;
  }

  private static byte[] sha256(String keyId) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(utf8(keyId));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /**
   * The id's UTF-8 bytes; a lone surrogate as its own three bytes (where {@code getBytes} would
   * write {@code '?'} and make two ids one).
   */
  private static byte[] utf8(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length() + 16);
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (cp < 0x80) {
        out.write(cp);
      } else if (cp < 0x800) {
        out.write(0xC0 | (cp >> 6));
        out.write(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        out.write(0xE0 | (cp >> 12));
        out.write(0x80 | ((cp >> 6) & 0x3F));
        out.write(0x80 | (cp & 0x3F));
      } else {
        out.write(0xF0 | (cp >> 18));
        out.write(0x80 | ((cp >> 12) & 0x3F));
        out.write(0x80 | ((cp >> 6) & 0x3F));
        out.write(0x80 | (cp & 0x3F));
      }
    }
    return out.toByteArray();
  }
}
