package dev.driftless.postgres.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Writes pgoutput messages (text format) as a walsender sends them, laid out after the protocol
 * description ("Logical Replication Message Formats" of the PostgreSQL manual); the decoder reads
 * the same layouts from a live server in {@code PgOutputDecodingIT}. A transaction id is written
 * into a change message when one is given ({@code xid >= 0}), as inside a streamed block.
 */
final class PgOutputWriter {
  static final int TEXT = 25;

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final DataOutputStream out = new DataOutputStream(bytes);

  private ByteBuffer take() {
    ByteBuffer b = ByteBuffer.wrap(bytes.toByteArray());
    bytes.reset();
    return b;
  }

  private PgOutputWriter str(String s) throws IOException {
    out.write(s.getBytes(StandardCharsets.UTF_8));
    out.write(0);
    return this;
  }

  private void xid(long xid) throws IOException {
    if (xid >= 0) {
      out.writeInt((int) xid);
    }
  }

  ByteBuffer begin(long finalLsn, long xid) {
    return write(
        () -> {
          out.writeByte('B');
          out.writeLong(finalLsn);
          out.writeLong(0);
          out.writeInt((int) xid);
        });
  }

  ByteBuffer commit(long commitLsn, long endLsn) {
    return write(
        () -> {
          out.writeByte('C');
          out.writeByte(0);
          out.writeLong(commitLsn);
          out.writeLong(endLsn);
          out.writeLong(0);
        });
  }

  /** A RELATION of table {@code public.name} whose first column is the key, all columns text. */
  ByteBuffer relation(long xid, int oid, String name, String... columns) {
    return write(
        () -> {
          out.writeByte('R');
          xid(xid);
          out.writeInt(oid);
          str("public").str(name);
          out.writeByte('d');
          out.writeShort(columns.length);
          for (int i = 0; i < columns.length; i++) {
            out.writeByte(i == 0 ? 1 : 0);
            str(columns[i]);
            out.writeInt(TEXT);
            out.writeInt(-1);
          }
        });
  }

  /** An INSERT; a null value is SQL NULL. */
  ByteBuffer insert(long xid, int oid, @Nullable String... values) {
    return write(
        () -> {
          out.writeByte('I');
          xid(xid);
          out.writeInt(oid);
          out.writeByte('N');
          tuple(values);
        });
  }

  /** An UPDATE without the old row; {@link #UNCHANGED} marks an unchanged out-of-line value. */
  ByteBuffer update(long xid, int oid, @Nullable String... values) {
    return write(
        () -> {
          out.writeByte('U');
          xid(xid);
          out.writeInt(oid);
          out.writeByte('N');
          tuple(values);
        });
  }

  /** A DELETE carrying the old key (the other columns NULL). */
  ByteBuffer delete(long xid, int oid, @Nullable String... oldKey) {
    return write(
        () -> {
          out.writeByte('D');
          xid(xid);
          out.writeInt(oid);
          out.writeByte('K');
          tuple(oldKey);
        });
  }

  ByteBuffer truncate(long xid, int... oids) {
    return write(
        () -> {
          out.writeByte('T');
          xid(xid);
          out.writeInt(oids.length);
          out.writeByte(0);
          for (int oid : oids) {
            out.writeInt(oid);
          }
        });
  }

  ByteBuffer streamStart(long xid, boolean first) {
    return write(
        () -> {
          out.writeByte('S');
          out.writeInt((int) xid);
          out.writeByte(first ? 1 : 0);
        });
  }

  ByteBuffer streamStop() {
    return write(() -> out.writeByte('E'));
  }

  ByteBuffer streamCommit(long xid, long commitLsn, long endLsn) {
    return write(
        () -> {
          out.writeByte('c');
          out.writeInt((int) xid);
          out.writeByte(0);
          out.writeLong(commitLsn);
          out.writeLong(endLsn);
          out.writeLong(0);
        });
  }

  ByteBuffer streamAbort(long xid, long subXid) {
    return write(
        () -> {
          out.writeByte('A');
          out.writeInt((int) xid);
          out.writeInt((int) subXid);
        });
  }

  /** Marks a value as unchanged and not sent (an out-of-line value an UPDATE left as it was). */
  static final String UNCHANGED = "\u0000unchanged";

  private void tuple(@Nullable String[] values) throws IOException {
    out.writeShort(values.length);
    for (String v : values) {
      if (v == null) {
        out.writeByte('n');
      } else if (v.equals(UNCHANGED)) {
        out.writeByte('u');
      } else {
        byte[] b = v.getBytes(StandardCharsets.UTF_8);
        out.writeByte('t');
        out.writeInt(b.length);
        out.write(b);
      }
    }
  }

  private interface Body {
    void write() throws IOException;
  }

  private ByteBuffer write(Body body) {
    try {
      body.write();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return take();
  }
}
