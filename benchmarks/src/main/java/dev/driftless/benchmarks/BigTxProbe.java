package dev.driftless.benchmarks;

import com.sun.management.GarbageCollectionNotificationInfo;
import dev.driftless.core.Pipeline;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.postgres.PostgresDatabase;
import dev.driftless.postgres.PostgresSource;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * The child JVM of the {@code bigtx} benchmark: reads one slot's backlog (one large transaction)
 * with one contender under the heap the parent chose, and prints one {@code RESULT} line with the
 * time and the heap it needed. Run by {@link BigTxBenchmark}, not by users.
 */
final class BigTxProbe {

  private BigTxProbe() {}

  public static void main(String[] args) throws Exception {
    String contender = args[0];
    int port = Integer.parseInt(args[1]);
    String slot = args[2];
    int expected = Integer.parseInt(args[3]);
    HeapWatch heap = HeapWatch.start();
    Run run =
        switch (contender) {
          case BigTxBenchmark.DRIFTLESS -> driftless(port, slot, expected);
          case BigTxBenchmark.DEBEZIUM ->
              PgDecodeBenchmark.debeziumRun(
                  PgDecodeBenchmark.debeziumProperties(port, slot),
                  "bench.public." + PgWorkload.TABLE,
                  1,
                  expected);
          default -> throw new IllegalArgumentException("unknown contender " + contender);
        };
    heap.stop();
    System.out.printf(
        Locale.ROOT,
        "RESULT nanos=%d steady=%d liveAfterGc=%d peakUsed=%d gcs=%d gcMillis=%d maxHeap=%d%n",
        run.nanos(),
        run.steadyNanos(),
        heap.maxAfterGc.get(),
        heap.peakUsed.get(),
        heap.gcCount(),
        heap.gcMillis(),
        Runtime.getRuntime().maxMemory());
    System.out.flush();
    System.exit(0); // the engines' non-daemon threads must not keep the child alive
  }

  /** The Driftless pipeline with the source's defaults (streaming of large transactions on). */
  private static Run driftless(int port, String slot, int expected) throws Exception {
    Path spill = Files.createTempDirectory("bigtx-spill");
    PostgresSource source =
        PostgresSource.builder()
            .database(
                PostgresDatabase.builder()
                    .jdbcUrl("jdbc:postgresql://localhost:" + port + "/" + PgWorkload.DATABASE)
                    .user("postgres")
                    .password(PgWorkload.PASSWORD)
                    .build())
            .slotName(slot)
            .publication(PgWorkload.PUBLICATION)
            .createSlot(false)
            .createPublication(false)
            .spillDirectory(spill)
            .build();
    CountingSink sink = new CountingSink();
    Pipeline pipeline =
        Pipeline.builder()
            .name("bench-bigtx")
            .source(source)
            .sink(sink)
            .deadLetterStore(new InMemoryDeadLetterStore())
            .build();
    SettledRun run = SettledRun.of(pipeline, expected, TimeUnit.MINUTES.toNanos(30));
    return new Run(
        BigTxBenchmark.DRIFTLESS,
        1,
        expected,
        run.nanos(),
        run.steadyNanos(),
        Map.of("written", sink.written()));
  }

  /**
   * The heap this JVM used: the most used right after a collection (an upper bound of what was
   * live) from the collectors' notifications, and the most used at any sample (live and garbage).
   */
  private static final class HeapWatch {
    final AtomicLong maxAfterGc = new AtomicLong();
    final AtomicLong peakUsed = new AtomicLong();
    private final Set<String> heapPools =
        ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP)
            .map(MemoryPoolMXBean::getName)
            .collect(Collectors.toSet());
    private volatile boolean running = true;

    static HeapWatch start() {
      HeapWatch w = new HeapWatch();
      for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        ((NotificationEmitter) gc)
            .addNotificationListener(
                (n, handback) -> {
                  if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(
                      n.getType())) {
                    w.afterGc(
                        GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData()));
                  }
                },
                null,
                null);
      }
      Thread sampler =
          new Thread(
              () -> {
                while (w.running) {
                  long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                  w.peakUsed.accumulateAndGet(used, Math::max);
                  LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                }
              },
              "bigtx-heap-sampler");
      sampler.setDaemon(true);
      sampler.start();
      return w;
    }

    private void afterGc(GarbageCollectionNotificationInfo info) {
      long used = 0;
      for (Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
        if (heapPools.contains(e.getKey())) {
          used += e.getValue().getUsed();
        }
      }
      maxAfterGc.accumulateAndGet(used, Math::max);
    }

    void stop() {
      running = false;
    }

    long gcCount() {
      return ManagementFactory.getGarbageCollectorMXBeans().stream()
          .mapToLong(GarbageCollectorMXBean::getCollectionCount)
          .sum();
    }

    long gcMillis() {
      return ManagementFactory.getGarbageCollectorMXBeans().stream()
          .mapToLong(GarbageCollectorMXBean::getCollectionTime)
          .sum();
    }
  }
}
