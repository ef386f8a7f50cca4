package dev.driftless.postgres.internal;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One decoded message of the {@code pgoutput} logical replication protocol (versions 1 to 4). Field
 * names follow PostgreSQL's "Logical Replication Message Formats". {@code xid} fields of changes
 * are the (sub)transaction id the server sends inside a streamed block, or {@code -1} outside one.
 */
sealed interface PgOutputMessage {

  record Begin(long finalLsn, Instant commitTime, long xid) implements PgOutputMessage {}

  record Commit(long commitLsn, long endLsn, Instant commitTime) implements PgOutputMessage {}

  record Origin(long originLsn, String name) implements PgOutputMessage {}

  /**
   * A relation's current shape. {@code replicaIdentity} is {@code d} (default: primary key), {@code
   * n} (nothing), {@code f} (full) or {@code i} (index).
   */
  record Relation(
      long xid, int oid, String namespace, String name, char replicaIdentity, List<Column> columns)
      implements PgOutputMessage {
    public Relation {
      columns = List.copyOf(columns);
    }

    /** The same relation, ignoring which transaction announced it. */
    Relation withoutXid() {
      return xid == -1 ? this : new Relation(-1, oid, namespace, name, replicaIdentity, columns);
    }
  }

  /**
   * A column of a relation.
   *
   * @param key whether it is part of the replica identity (flag 1)
   */
  record Column(boolean key, String name, int typeOid, int typmod) {}

  record Type(long xid, int oid, String namespace, String name) implements PgOutputMessage {}

  record Insert(long xid, int relationOid, TupleData newTuple) implements PgOutputMessage {}

  /**
   * An update. {@code oldKind} is {@code 'K'} (old key), {@code 'O'} (old full row) or {@code 0}
   * when no old tuple was sent.
   */
  record Update(
      long xid, int relationOid, char oldKind, @Nullable TupleData oldTuple, TupleData newTuple)
      implements PgOutputMessage {}

  record Delete(long xid, int relationOid, char oldKind, TupleData oldTuple)
      implements PgOutputMessage {}

  record Truncate(long xid, boolean cascade, boolean restartIdentity, List<Integer> relationOids)
      implements PgOutputMessage {
    public Truncate {
      relationOids = List.copyOf(relationOids);
    }
  }

  /** A message written by {@code pg_logical_emit_message}. */
  record LogicalMessage(long xid, boolean transactional, long lsn, String prefix, byte[] content)
      implements PgOutputMessage {}

  record StreamStart(long xid, boolean firstSegment) implements PgOutputMessage {}

  record StreamStop() implements PgOutputMessage {}

  record StreamCommit(long xid, long commitLsn, long endLsn, Instant commitTime)
      implements PgOutputMessage {}

  /**
   * An abort of a streamed transaction ({@code xid == subXid}) or of one of its subtransactions.
   */
  record StreamAbort(long xid, long subXid, long abortLsn, @Nullable Instant abortTime)
      implements PgOutputMessage {}

  /**
   * The column values of one row, in relation column order.
   *
   * @param kinds per column: {@code 'n'} null, {@code 'u'} unchanged TOAST value (not sent), {@code
   *     't'} text, {@code 'b'} binary
   * @param values the text of {@code 't'} columns, {@code null} otherwise
   */
  record TupleData(char[] kinds, @Nullable String[] values) {
    int size() {
      return kinds.length;
    }

    boolean hasUnchangedToast() {
      for (char k : kinds) {
        if (k == 'u') {
          return true;
        }
      }
      return false;
    }
  }
}
