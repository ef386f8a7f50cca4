package dev.driftless.postgres.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.Version;
import dev.driftless.postgres.LsnPosition;
import dev.driftless.postgres.PostgresSource.TruncateMode;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pgoutput message sequences as a walsender sends them (protocol 2, streaming on), turned into
 * events without a server: plain transactions, streamed transactions with aborted subtransactions,
 * whole aborts, relations announced inside a streamed transaction, unchanged out-of-line values,
 * truncates, and a transaction sent again after a reconnect (I2: nothing lost, nothing twice).
 */
class TransactionAssemblerTest {

  private static final int T = 16384;
  private static final int U = 16385;

  @TempDir Path spillDirectory;

  private final PgOutputWriter w = new PgOutputWriter();
  private final RecentCommits recent = new RecentCommits();
  private final List<String> calls = new ArrayList<>();
  private final List<Long> rereadXids = new ArrayList<>();

  private TransactionAssembler assembler(TruncateMode mode) {
    TransactionAssembler a =
        new TransactionAssembler(
            TransactionAssemblerTest::describe,
            ColumnValueDecoder.TEXT,
            (shape, columns, key, xid) -> {
              rereadXids.add(xid);
              return Optional.of(Document.of("id", key.id(), "big", "re-read"));
            },
            recent,
            mode,
            spillDirectory,
            new TransactionAssembler.Listener() {
              @Override
              public void betweenTransactions() {
                calls.add("between");
              }

              @Override
              public void transactionEnd(
                  @Nullable LsnPosition last, long endLsn, Instant commitTime) {
                calls.add(
                    "end "
                        + Long.toHexString(endLsn)
                        + " last "
                        + (last == null ? null : last.asString()));
              }

              @Override
              public void unreadable(
                  DocumentKey key, Version version, LsnPosition position, UnreadableChange f) {
                calls.add("unreadable " + key.id());
              }
            });
    a.start(2, "test.slot");
    return a;
  }

  /** Every table is keyed by its first column, as the catalog would say for a primary key. */
  private static ReplicatedRelation describe(PgOutputMessage.Relation r, int historyIndex) {
    List<RowDocument.Column> columns = new ArrayList<>();
    for (PgOutputMessage.Column c : r.columns()) {
      columns.add(new RowDocument.Column(c.name(), c.typeOid(), c.typmod()));
    }
    return new ReplicatedRelation(
        r,
        historyIndex,
        new TableShape(r.namespace(), r.name(), List.of(r.columns().get(0).name()), 'd'),
        new int[] {0},
        r.name(),
        null,
        columns);
  }

  private static void feed(TransactionAssembler a, ByteBuffer... messages) throws Exception {
    for (ByteBuffer m : messages) {
      a.handle(m);
    }
  }

  private static List<String> drain(TransactionAssembler a) {
    List<String> out = new ArrayList<>();
    ChangeEvent e;
    while ((e = a.poll()) != null) {
      String kind = e.getClass().getSimpleName();
      LsnPosition p = (LsnPosition) e.position();
      String doc = e instanceof ChangeEvent.Upsert u ? " " + u.document().get("big") : "";
      out.add(
          kind
              + " "
              + e.key().id()
              + " v"
              + Long.toHexString(e.version().value())
              + "#"
              + p.sequence()
              + doc);
    }
    return out;
  }

  private long spillFiles() throws Exception {
    try (Stream<Path> files = Files.list(spillDirectory)) {
      return files.count();
    }
  }

  @Test
  void aTransactionsChangesCarryItsCommitLsnInOrderAndItsEndIsReported() throws Exception {
    TransactionAssembler a = assembler(TruncateMode.REMOVE_DOCUMENTS);
    feed(
        a,
        w.relation(-1, T, "t", "id", "big"),
        w.begin(0x100, 5),
        w.insert(-1, T, "1", "a"),
        w.update(-1, T, "1", "b"),
        w.delete(-1, T, "2", null));
    assertThat(a.inTransaction()).isTrue();
    assertThat(a.betweenTransactions()).isFalse();
    a.handle(w.commit(0x100, 0x140));

    assertThat(drain(a))
        .containsExactly("Upsert 1 v100#0 a", "Upsert 1 v100#1 b", "Delete 2 v100#2");
    assertThat(calls).containsExactly("between", "end 140 last 0/100#2");
    assertThat(a.betweenTransactions()).isTrue();
    assertThat(recent.size()).isEqualTo(1);
  }

  @Test
  void aStreamedTransactionIsHeldUntilItsCommitAndDropsItsAbortedSubtransaction() throws Exception {
    TransactionAssembler a = assembler(TruncateMode.REMOVE_DOCUMENTS);
    feed(
        a,
        w.streamStart(10, true),
        w.relation(10, T, "t", "id", "big"),
        w.insert(10, T, "1", "top"),
        w.insert(11, T, "2", "sub"),
        w.streamStop(),
        w.streamStart(10, false),
        w.insert(11, T, "3", "sub"),
        w.streamStop(),
        // ROLLBACK TO SAVEPOINT: the server sends the subtransaction's abort as soon as it decodes
        // it, before any later change of the transaction.
        w.streamAbort(10, 11),
        w.streamStart(10, false),
        w.insert(10, T, "4", "top"),
        w.streamStop());
    assertThat(drain(a)).isEmpty();
    assertThat(spillFiles()).isEqualTo(1);

    a.handle(w.streamCommit(10, 0x200, 0x240));
    assertThat(a.releasing()).isTrue();
    a.pumpRelease(100);

    assertThat(a.releasing()).isFalse();
    assertThat(drain(a)).containsExactly("Upsert 1 v200#0 top", "Upsert 4 v200#1 top");
    assertThat(calls).containsExactly("between", "end 240 last 0/200#1");
    assertThat(spillFiles()).isZero();
  }

  @Test
  void aReleaseStopsAtTheCallersRoomAndGoesOnLater() throws Exception {
    TransactionAssembler a = assembler(TruncateMode.REMOVE_DOCUMENTS);
    feed(a, w.streamStart(10, true), w.relation(10, T, "t", "id", "big"));
    for (int i = 0; i < 5; i++) {
      a.handle(w.insert(10, T, String.valueOf(i), "v"));
    }
    feed(a, w.streamStop(), w.streamCommit(10, 0x200, 0x240));

    a.pumpRelease(2);
    assertThat(a.readySize()).isEqualTo(2);
    assertThat(a.inTransaction()).isTrue();
    a.pumpRelease(10);
    assertThat(a.readySize()).isEqualTo(5);
    assertThat(a.inTransaction()).isFalse();
  }

  @Test
  void anAbortedStreamedTransactionEmitsNothingAndForgetsItsRelations() throws Exception {
    TransactionAssembler a = assembler(TruncateMode.REMOVE_DOCUMENTS);
    feed(
        a,
        w.streamStart(20, true),
        w.relation(20, U, "u", "id", "big"),
        w.insert(20, U, "1", "x"),
        w.streamStop(),
        w.streamAbort(20, 20));
    assertThat(drain(a)).isEmpty();
    assertThat(spillFiles()).isZero();
    assertThat(calls).isEmpty();

    a.handle(w.begin(0x300, 21));
    assertThatThrownBy(() -> a.handle(w.insert(-1, U, "2", "y")))
        .isInstanceOf(DriftlessException.class)
        .hasMessageContaining("before its RELATION message");
  }

  @Test
  void aRelationAnnouncedInACommittedStreamedTransactionServesLaterOnes() throws Exception {
    TransactionAssembler a = assembler(TruncateMode.REMOVE_DOCUMENTS);
    feed(
        a,
        w.streamStart(30, true),
        w.relation(30, U, "u", "id", "big"),
        w.insert(30, U, "1", "x"),
        w.streamStop(),
        w.streamCommit(30, 0x400, 0x440));
    a.pumpRelease(10);
    // The server does not announce the relation again for the next transaction.
    feed(a, w.begin(0x500, 31), w.insert(-1, U, "2", "y"), w.commit(0x500, 0x540));
    assertThat(drain(a)).containsExactly("Upsert 1 v400#0 x", "Upsert 2 v500#0 y");
  }

  @Test
  void anUnchangedOutOfLineValueIsReReadSeeingItsTransaction() throws Exception {
    TransactionAssembler a = assembler(TruncateMode.REMOVE_DOCUMENTS);
    feed(
        a,
        w.relation(-1, T, "t", "id", "big"),
        w.begin(0x600, 42),
        w.update(-1, T, "7", PgOutputWriter.UNCHANGED),
        w.commit(0x600, 0x640));
    assertThat(rereadXids).containsExactly(42L);
    assertThat(drain(a)).containsExactly("Upsert 7 v600#0 re-read");
    assertThat(a.rereads()).isEqualTo(1);
  }

  @Test
  void aTruncateIsOneVersionedEventPerTableOrAnErrorOrNothing() throws Exception {
    TransactionAssembler remove = assembler(TruncateMode.REMOVE_DOCUMENTS);
    feed(
        remove,
        w.relation(-1, T, "t", "id", "big"),
        w.relation(-1, U, "u", "id", "big"),
        w.begin(0x700, 50),
        w.truncate(-1, T, U),
        w.commit(0x700, 0x740));
    assertThat(drain(remove)).containsExactly("Truncate * v700#0", "Truncate * v700#1");

    TransactionAssembler ignore = assembler(TruncateMode.IGNORE);
    feed(
        ignore,
        w.relation(-1, T, "t", "id", "big"),
        w.begin(0x700, 50),
        w.truncate(-1, T),
        w.commit(0x700, 0x740));
    assertThat(drain(ignore)).isEmpty();

    TransactionAssembler fail = assembler(TruncateMode.FAIL);
    feed(fail, w.relation(-1, T, "t", "id", "big"), w.begin(0x700, 50));
    assertThatThrownBy(() -> fail.handle(w.truncate(-1, T)))
        .isInstanceOf(DriftlessException.class)
        .hasMessageContaining("public.t was truncated")
        .hasMessageContaining("truncateMode is FAIL");
  }

  @Test
  void aTruncateInsideAStreamedTransactionComesAtItsCommit() throws Exception {
    TransactionAssembler a = assembler(TruncateMode.REMOVE_DOCUMENTS);
    feed(
        a,
        w.streamStart(60, true),
        w.relation(60, T, "t", "id", "big"),
        w.insert(60, T, "1", "before"),
        w.truncate(60, T),
        w.insert(60, T, "2", "after"),
        w.streamStop(),
        w.streamCommit(60, 0x800, 0x840));
    a.pumpRelease(10);
    assertThat(drain(a))
        .containsExactly("Upsert 1 v800#0 before", "Truncate * v800#1", "Upsert 2 v800#2 after");
  }

  @Test
  void aTransactionSentAgainAfterAReconnectEmitsOnlyWhatWasNotEmitted() throws Exception {
    TransactionAssembler a = assembler(TruncateMode.REMOVE_DOCUMENTS);
    feed(a, w.relation(-1, T, "t", "id", "big"), w.begin(0x900, 70), w.insert(-1, T, "1", "a"));
    assertThat(drain(a)).containsExactly("Upsert 1 v900#0 a");

    a.discard(); // the connection broke mid-transaction; the server sends it again
    assertThat(a.inTransaction()).isFalse();
    feed(
        a,
        w.relation(-1, T, "t", "id", "big"),
        w.begin(0x900, 70),
        w.insert(-1, T, "1", "a"),
        w.insert(-1, T, "2", "b"),
        w.commit(0x900, 0x940));
    assertThat(drain(a)).containsExactly("Upsert 2 v900#1 b");
    assertThat(calls).last().isEqualTo("end 940 last 0/900#1");
  }

  @Test
  void aTransactionCutByAReconnectIsNotDecodedUntilItIsSentAgain() throws Exception {
    TransactionAssembler a = assembler(TruncateMode.REMOVE_DOCUMENTS);
    recent.decodedBelow(0x100);
    feed(a, w.relation(-1, T, "t", "id", "big"), w.begin(0x900, 70), w.insert(-1, T, "1", "a"));
    assertThat(drain(a)).containsExactly("Upsert 1 v900#0 a");

    a.discard();
    // Not past the cut transaction's commit: a backfill chunk labelled with the frontier would
    // take positions after v900#0 at v900, and the transaction sent again would skip its changes
    // at those positions as already emitted (it moved to 0x900 before the fix).
    assertThat(recent.frontier()).isEqualTo(0xFF);
    // What it emitted before the cut still counts for the race rule once the frontier passes it.
    feed(
        a,
        w.relation(-1, T, "t", "id", "big"),
        w.begin(0x900, 70),
        w.insert(-1, T, "1", "a"),
        w.insert(-1, T, "2", "b"),
        w.commit(0x900, 0x940));
    assertThat(drain(a)).containsExactly("Upsert 2 v900#1 b");
    assertThat(recent.frontier()).isEqualTo(0x900);
  }

  @Test
  void aChangeOutsideATransactionIsAProtocolError() {
    TransactionAssembler a = assembler(TruncateMode.REMOVE_DOCUMENTS);
    assertThatThrownBy(
            () -> feed(a, w.relation(-1, T, "t", "id", "big"), w.insert(-1, T, "1", "a")))
        .isInstanceOf(DriftlessException.class)
        .hasMessageContaining("outside a transaction");
  }
}
