package dev.driftless.testinfra.dynamodb.internal;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import org.jspecify.annotations.Nullable;

/**
 * Shard iterators in the shape the service uses, {@code <streamArn>|1|<opaque base64>}; the opaque
 * part carries the shard, the next record index, the issue time (each iterator expires on its own),
 * the reader chain it belongs to, and how many empty pages the chain has been served.
 */
final class ShardIterators {
  private ShardIterators() {}

  record Position(
      String streamArn, String shardId, int index, Instant issuedAt, long chain, int emptyPages) {}

  static String encode(Position p) {
    String inner =
        p.shardId()
            + ";"
            + p.index()
            + ";"
            + p.issuedAt().toEpochMilli()
            + ";"
            + p.chain()
            + ";"
            + p.emptyPages();
    return p.streamArn()
        + "|1|"
        + Base64.getEncoder().encodeToString(inner.getBytes(StandardCharsets.UTF_8));
  }

  static @Nullable Position decode(String iterator) {
    String[] parts = iterator.split("\\|", -1);
    if (parts.length != 3 || !parts[1].equals("1")) {
      return null;
    }
    try {
      String inner = new String(Base64.getDecoder().decode(parts[2]), StandardCharsets.UTF_8);
      String[] f = inner.split(";", -1);
      if (f.length != 5) {
        return null;
      }
      return new Position(
          parts[0],
          f[0],
          Integer.parseInt(f[1]),
          Instant.ofEpochMilli(Long.parseLong(f[2])),
          Long.parseLong(f[3]),
          Integer.parseInt(f[4]));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
