package dev.driftless.core;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The numbers both sides of reconciliation compute: row fingerprints, key hashes, buckets and the
 * parts of per-key fingerprints. This class is the reference; a database computes the same in its
 * own language (the SQL given below is PostgreSQL's).
 *
 * <h2>Definitions</h2>
 *
 * <ol>
 *   <li><b>row fingerprint</b>: the first 8 bytes (big-endian, signed) of the MD5 of the row's
 *       <em>rendering</em>: for each published column in column order, {@code "~"} for NULL or
 *       {@code <UTF-8 byte length of text> ":" <text>} otherwise, joined by {@code ","}, where text
 *       is what the type's output function prints (what pgoutput sends; not always {@code ::text},
 *       which differs for boolean, char(n) and inet) under fixed session settings (time zone UTC,
 *       ISO dates, see the PostgreSQL module's {@code TextRendering}). The length prefix makes the
 *       rendering unambiguous. In PostgreSQL, per column {@code CASE WHEN num_nulls(c) = 1 THEN '~'
 *       ELSE octet_length(format('%s', c)) || ':' || format('%s', c) END}, joined with {@code
 *       concat_ws(',', ...)}, then {@code ('x' || substr(md5(...), 1, 16))::bit(64)::bigint}.
 *   <li><b>key hash</b>: the first 8 bytes of {@code MD5(UTF-8 bytes of DocumentKey.id())}, as a
 *       big-endian signed {@code long}. In PostgreSQL: {@code ('x' || substr(md5(id), 1,
 *       16))::bit(64)::bigint}.
 *   <li><b>bucket</b>: the top 32 bits of the key hash as an unsigned number, in {@code [0, 2^32)}.
 *       In PostgreSQL: {@code ('x00000000' || substr(md5(id), 1, 8))::bit(64)::bigint}.
 *   <li><b>per-key fingerprint</b>: {@code keyHash XOR rowFingerprint}, so that a missing row and a
 *       phantom with the same content do not cancel out in a sum.
 *   <li><b>parts</b>: a per-key fingerprint {@code f} split into {@code f & 0x1FFFFF}, {@code (f
 *       >>> 21) & 0x1FFFFF} and {@code f >>> 42}; summaries sum each part, which stays exact in the
 *       engines' double arithmetic for up to 2^31 keys per range.
 *   <li><b>split</b>: range {@code [from, to)} split in {@code n} has boundaries {@code from +
 *       floor((to - from) * i / n)}, {@code i = 0..n}.
 * </ol>
 *
 * <p>Thread-safe; all methods are pure functions.
 */
public final class Fingerprints {

  /** The number of buckets: bucket numbers lie in {@code [0, BUCKET_COUNT)}. */
  public static final long BUCKET_COUNT = 1L << 32;

  private static final long PART_MASK = (1L << 21) - 1;

  private Fingerprints() {}

  /** The row fingerprint (definition 1) of column texts in column order; null for SQL NULL. */
  public static long row(List<? extends @Nullable String> columnTexts) {
    StringBuilder rendering = new StringBuilder(64);
    for (int i = 0; i < columnTexts.size(); i++) {
      if (i > 0) {
        rendering.append(',');
      }
      String text = columnTexts.get(i);
      if (text == null) {
        rendering.append('~');
      } else {
        rendering.append(utf8Length(text)).append(':').append(text);
      }
    }
    return first8Bytes(rendering.toString());
  }

  /** The key hash (definition 2) of a key id. */
  public static long keyHash(String id) {
    return first8Bytes(id);
  }

  /** The bucket (definition 3) of a key id, in {@code [0, 2^32)}. */
  public static long bucket(String id) {
    return bucketOf(keyHash(id));
  }

  /**
   * The bucket (definition 3) of the key whose {@linkplain #keyHash key hash} is given, for callers
   * that also need the per-key fingerprint and should hash the id once.
   */
  public static long bucketOf(long keyHash) {
    return keyHash >>> 32;
  }

  /** The per-key fingerprint (definition 4). */
  public static long perKey(String id, long rowFingerprint) {
    return perKeyOf(keyHash(id), rowFingerprint);
  }

  /**
   * The per-key fingerprint (definition 4) of the key whose {@linkplain #keyHash key hash} is
   * given.
   */
  public static long perKeyOf(long keyHash, long rowFingerprint) {
    return keyHash ^ rowFingerprint;
  }

  /** Bits 0..20 of a per-key fingerprint. */
  public static long low(long perKey) {
    return perKey & PART_MASK;
  }

  /** Bits 21..41 of a per-key fingerprint. */
  public static long mid(long perKey) {
    return (perKey >>> 21) & PART_MASK;
  }

  /** Bits 42..63 of a per-key fingerprint. */
  public static long high(long perKey) {
    return perKey >>> 42;
  }

  /** The per-key fingerprint whose parts are given. */
  public static long join(long low, long mid, long high) {
    return (low & PART_MASK) | ((mid & PART_MASK) << 21) | (high << 42);
  }

  /** Boundary {@code i} of {@code [from, to)} split in {@code splits} (definition 6). */
  public static long boundary(long from, long to, int splits, int i) {
    if (splits < 1 || i < 0 || i > splits) {
      throw new IllegalArgumentException("need 0 <= i <= splits, splits >= 1: " + i + "/" + splits);
    }
    return from
        + BigInteger.valueOf(to - from)
            .multiply(BigInteger.valueOf(i))
            .divide(BigInteger.valueOf(splits))
            .longValueExact();
  }

  private static long first8Bytes(String text) {
    MessageDigest md5;
    try {
      md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK must provide MD5", e);
    }
    byte[] digest = md5.digest(text.getBytes(StandardCharsets.UTF_8));
    long hash = 0;
    for (int i = 0; i < 8; i++) {
      hash = (hash << 8) | (digest[i] & 0xFF);
    }
    return hash;
  }

  private static int utf8Length(String s) {
    int bytes = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }
}
