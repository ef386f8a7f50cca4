package dev.driftless.postgres.internal;

import dev.driftless.core.DriftlessException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Parses {@code pgoutput} messages (protocol versions 1 to 4, text format). Stateless apart from
 * knowing whether it is inside a streamed block, where change messages carry a transaction id.
 *
 * <p>Not thread-safe; used by the source's poll thread only.
 */
final class PgOutputDecoder {

  /** Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01 UTC). */
  private static final long PG_EPOCH_OFFSET_MICROS = 946_684_800_000_000L;

  private final int protocolVersion;
  private boolean inStreamBlock;

  PgOutputDecoder(int protocolVersion) {
    this.protocolVersion = protocolVersion;
  }

  boolean inStreamBlock() {
    return inStreamBlock;
  }

  /** Forgets the streaming state (after a reconnect). */
  void reset() {
    inStreamBlock = false;
  }

  /**
   * Decodes one message; {@code streamed} tells whether a change message was received inside a
   * streamed block (when re-reading a spilled message), or {@code null} to use the tracked state.
   */
  PgOutputMessage decode(ByteBuffer buffer, @Nullable Boolean streamed) {
    ByteBuffer b = buffer.slice();
    boolean withXid = streamed != null ? streamed : inStreamBlock;
    char tag = (char) b.get();
    try {
      return switch (tag) {
        case 'B' -> new PgOutputMessage.Begin(b.getLong(), time(b.getLong()), uint(b.getInt()));
        case 'C' -> {
          b.get(); // flags, unused
          yield new PgOutputMessage.Commit(b.getLong(), b.getLong(), time(b.getLong()));
        }
        case 'O' -> new PgOutputMessage.Origin(b.getLong(), string(b));
        case 'R' -> relation(b, withXid);
        case 'Y' -> {
          long xid = withXid ? uint(b.getInt()) : -1;
          yield new PgOutputMessage.Type(xid, b.getInt(), string(b), string(b));
        }
        case 'I' -> {
          long xid = withXid ? uint(b.getInt()) : -1;
          int oid = b.getInt();
          expect(b, 'N');
          yield new PgOutputMessage.Insert(xid, oid, tuple(b));
        }
        case 'U' -> update(b, withXid);
        case 'D' -> {
          long xid = withXid ? uint(b.getInt()) : -1;
          int oid = b.getInt();
          char kind = (char) b.get();
          if (kind != 'K' && kind != 'O') {
            throw new IllegalStateException("DELETE without old tuple marker: " + kind);
          }
          yield new PgOutputMessage.Delete(xid, oid, kind, tuple(b));
        }
        case 'T' -> {
          long xid = withXid ? uint(b.getInt()) : -1;
          int count = b.getInt();
          int options = b.get();
          List<Integer> oids = new ArrayList<>(count);
          for (int i = 0; i < count; i++) {
            oids.add(b.getInt());
          }
          yield new PgOutputMessage.Truncate(xid, (options & 1) != 0, (options & 2) != 0, oids);
        }
        case 'M' -> {
          long xid = withXid ? uint(b.getInt()) : -1;
          int flags = b.get();
          long lsn = b.getLong();
          String prefix = string(b);
          byte[] content = new byte[b.getInt()];
          b.get(content);
          yield new PgOutputMessage.LogicalMessage(xid, (flags & 1) != 0, lsn, prefix, content);
        }
        case 'S' -> {
          inStreamBlock = true;
          yield new PgOutputMessage.StreamStart(uint(b.getInt()), b.get() == 1);
        }
        case 'E' -> {
          inStreamBlock = false;
          yield new PgOutputMessage.StreamStop();
        }
        case 'c' -> {
          long xid = uint(b.getInt());
          b.get(); // flags, unused
          yield new PgOutputMessage.StreamCommit(xid, b.getLong(), b.getLong(), time(b.getLong()));
        }
        case 'A' -> {
          long xid = uint(b.getInt());
          long subXid = uint(b.getInt());
          // Protocol 4 with parallel streaming adds the abort's LSN and time.
          if (protocolVersion >= 4 && b.remaining() >= 16) {
            yield new PgOutputMessage.StreamAbort(xid, subXid, b.getLong(), time(b.getLong()));
          }
          yield new PgOutputMessage.StreamAbort(xid, subXid, 0, null);
        }
        default ->
            throw new DriftlessException(
                "unsupported pgoutput message '"
                    + tag
                    + "' (two-phase messages are not requested; is another plugin in use?)");
      };
    } catch (RuntimeException e) {
      if (e instanceof DriftlessException) {
        throw e;
      }
      throw new DriftlessException("malformed pgoutput message '" + tag + "': " + e, e);
    }
  }

  private static PgOutputMessage.Relation relation(ByteBuffer b, boolean withXid) {
    long xid = withXid ? uint(b.getInt()) : -1;
    int oid = b.getInt();
    String namespace = string(b);
    String name = string(b);
    char identity = (char) b.get();
    int count = b.getShort();
    List<PgOutputMessage.Column> columns = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      boolean key = (b.get() & 1) != 0;
      columns.add(new PgOutputMessage.Column(key, string(b), b.getInt(), b.getInt()));
    }
    return new PgOutputMessage.Relation(xid, oid, namespace, name, identity, columns);
  }

  private static PgOutputMessage.Update update(ByteBuffer b, boolean withXid) {
    long xid = withXid ? uint(b.getInt()) : -1;
    int oid = b.getInt();
    char marker = (char) b.get();
    char oldKind = 0;
    PgOutputMessage.TupleData old = null;
    if (marker == 'K' || marker == 'O') {
      oldKind = marker;
      old = tuple(b);
      marker = (char) b.get();
    }
    if (marker != 'N') {
      throw new IllegalStateException("UPDATE without new tuple marker: " + marker);
    }
    return new PgOutputMessage.Update(xid, oid, oldKind, old, tuple(b));
  }

  private static PgOutputMessage.TupleData tuple(ByteBuffer b) {
    int count = b.getShort();
    char[] kinds = new char[count];
    @Nullable String[] values = new String[count];
    for (int i = 0; i < count; i++) {
      char kind = (char) b.get();
      kinds[i] = kind;
      switch (kind) {
        case 'n', 'u' -> {}
        case 't' -> {
          int len = b.getInt();
          values[i] =
              new String(b.array(), b.arrayOffset() + b.position(), len, StandardCharsets.UTF_8);
          b.position(b.position() + len);
        }
        case 'b' -> {
          // Not requested (text format), but skip it rather than misparse the rest.
          int len = b.getInt();
          b.position(b.position() + len);
        }
        default -> throw new IllegalStateException("unknown tuple column kind: " + kind);
      }
    }
    return new PgOutputMessage.TupleData(kinds, values);
  }

  private static void expect(ByteBuffer b, char wanted) {
    char got = (char) b.get();
    if (got != wanted) {
      throw new IllegalStateException("expected '" + wanted + "' but found '" + got + "'");
    }
  }

  private static String string(ByteBuffer b) {
    int start = b.position();
    int end = start;
    while (b.get(end) != 0) {
      end++;
    }
    String s = new String(b.array(), b.arrayOffset() + start, end - start, StandardCharsets.UTF_8);
    b.position(end + 1);
    return s;
  }

  private static long uint(int value) {
    return Integer.toUnsignedLong(value);
  }

  static Instant time(long pgMicros) {
    long micros = pgMicros + PG_EPOCH_OFFSET_MICROS;
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
  }
}
