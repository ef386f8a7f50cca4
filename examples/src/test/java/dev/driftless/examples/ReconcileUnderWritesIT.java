package dev.driftless.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.opensearch.OpenSearchSink;
import dev.driftless.postgres.PostgresSource;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Reconciliation while a writer updates hot keys continuously, with documents of hot keys deleted
 * from the index behind the pipeline's back so that repairs race the stream: once the writes stop
 * and the pipeline is idle, every document holds the newest version ever written to its key (I3: no
 * repair put an older state over a newer one) and equals its row (I1).
 */
class ReconcileUnderWritesIT {
  private static final int ROWS = 1_000;
  private static final int HOT = 20;

  @Test
  void repairsDuringHeavyWritesNeverRegressADocument() throws Exception {
    EndToEnd e2e = EndToEnd.create("underwrites");
    e2e.exec(
        "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int, note text)",
        "INSERT INTO items SELECT g, 'item ' || g, 0, NULL FROM generate_series(1, "
            + ROWS
            + ") g");
    String slot = e2e.name;
    PostgresSource source = e2e.source(slot, List.of("items")).build();
    try (OpenSearchSink sink = e2e.sink(slot + "-");
        RecordingSink recording = new RecordingSink(sink);
        Pipeline pipeline = e2e.start(slot, source, recording)) {
      e2e.exec("UPDATE items SET note = 'streamed'"); // the slot exists now: index every row
      e2e.awaitCaughtUp(slot, pipeline);
      String index = sink.indexFor("items");
      IndexTampering tamper = new IndexTampering(EndToEnd.opensearch().httpUrl());
      Reconciler reconciler =
          Reconciler.builder()
              .source(e2e.fingerprints("items"))
              .index(sink.fingerprintReader())
              .pipeline(pipeline)
              .collection("items")
              .splits(8)
              .listThreshold(200)
              .verifyDelay(Duration.ofMillis(300))
              .build();

      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong writes = new AtomicLong();
      AtomicReference<@Nullable Throwable> writerFailure = new AtomicReference<>();
      Thread writer =
          new Thread(
              () -> {
                Random random = new Random(7);
                try (Connection c = EndToEnd.postgres().connect(e2e.database);
                    Statement s = c.createStatement()) {
                  while (!stop.get()) {
                    int id =
                        random.nextInt(10) < 8 ? 1 + random.nextInt(HOT) : 1 + random.nextInt(ROWS);
                    s.execute(
                        "UPDATE items SET qty = qty + 1, note = 'write "
                            + writes.incrementAndGet()
                            + "' WHERE id = "
                            + id);
                  }
                } catch (Throwable t) {
                  writerFailure.set(t);
                }
              },
              "hot-writer");
      writer.start();
      List<ReconciliationReport> reports = new ArrayList<>();
      int deleted = 0;
      try {
        for (int round = 0; round < 4; round++) {
          for (int id = 1 + round; id <= HOT; id += 4) {
            if (tamper.read(index, String.valueOf(id)) != null
                && tamper.delete(index, String.valueOf(id))) {
              deleted++;
            }
          }
          tamper.refresh(index);
          reports.add(reconciler.run());
        }
      } finally {
        stop.set(true);
        writer.join();
      }
      assertThat(writerFailure.get()).isNull();
      assertThat(writes.get()).as("the writer kept writing during the runs").isGreaterThan(500);
      long repaired = reports.stream().mapToLong(ReconciliationReport::repaired).sum();
      assertThat(deleted).as("documents deleted behind the pipeline's back").isGreaterThan(0);
      assertThat(repaired).as("repairs raced the stream: %s", reports).isGreaterThan(0);

      e2e.awaitCaughtUp(slot, pipeline);
      Map<String, Map<?, ?>> docs = EndToEnd.documents(index);
      Map<String, Long> versions = EndToEnd.versions(index);
      for (Map.Entry<DocumentKey, Long> newest : recording.newest.entrySet()) {
        assertThat(docs.get(newest.getKey().id())).as("document %s", newest.getKey()).isNotNull();
        assertThat(versions.get(newest.getKey().id()))
            .as("I3: %s holds the newest version written to it", newest.getKey())
            .isEqualTo(newest.getValue());
      }
      for (Map<String, @Nullable String> row : e2e.rows("SELECT id, qty, note FROM items")) {
        Map<?, ?> doc = docs.get(row.get("id"));
        assertThat(doc).as("document %s", row.get("id")).isNotNull();
        assertThat(String.valueOf(doc.get("qty")))
            .as("I1: qty of %s", row.get("id"))
            .isEqualTo(row.get("qty"));
        assertThat(doc.get("note")).as("I1: note of %s", row.get("id")).isEqualTo(row.get("note"));
      }
      sink.refresh("items");
      ReconciliationReport quiet = reconciler.run();
      assertThat(quiet.inSync()).as(quiet.summary()).isTrue();
    }
  }

  /** Passes writes through, remembering the newest version written to each key. */
  static final class RecordingSink implements VersionedSink {
    final Map<DocumentKey, Long> newest = new ConcurrentHashMap<>();
    private final VersionedSink delegate;

    RecordingSink(VersionedSink delegate) {
      this.delegate = delegate;
    }

    @Override
    public void start(SinkContext context) throws Exception {
      delegate.start(context);
    }

    @Override
    public List<WriteResult> write(List<ChangeEvent> batch) throws Exception {
      for (ChangeEvent e : batch) {
        if (e instanceof ChangeEvent.Upsert u) {
          newest.merge(u.key(), u.version().value(), Math::max);
        }
      }
      return delegate.write(batch);
    }

    @Override
    public void close() throws Exception {
      delegate.close();
    }
  }
}
