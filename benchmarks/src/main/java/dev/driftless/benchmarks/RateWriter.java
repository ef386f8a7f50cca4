package dev.driftless.benchmarks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * The freshness workload: one-row transactions, each an autocommitted {@code UPDATE} of one random
 * product (price, stock, a sequence number and {@code updated_at}), from a pool of connections.
 *
 * <p>Open loop: transaction {@code k} of a run is due at {@code t0 + k / rate}, whatever happened
 * to the ones before it; a worker that is late starts it at once and the lateness is recorded
 * (intended start to commit returned), so a stalled database shows up as latency rather than as
 * fewer, well-behaved transactions (no coordinated omission). With rate 0 the workers write as fast
 * as they can (closed loop), to measure capacity.
 */
final class RateWriter implements AutoCloseable {

  /** Rows of the products table; updates pick one at random. */
  static final int KEYS = 50_000;

  static final String UPDATE =
      "UPDATE "
          + FreshnessBenchmark.TABLE
          + " SET price = price + 0.01, stock = stock - 1, seq = ?, updated_at = now()"
          + " WHERE id = ?";

  /**
   * What one run did.
   *
   * @param measured transactions due (or, closed loop, started) inside the measured window
   * @param total every transaction of the run
   * @param lateness intended start to commit returned of the measured transactions, in µs
   */
  record Result(long measured, long total, Histogram lateness) {}

  /** Receives sampled commits for visibility probing. */
  interface Sampler {
    void committed(long id, long seq, long committedNanos);
  }

  private final List<Connection> connections = new ArrayList<>();
  private final AtomicLong seq = new AtomicLong();
  private final AtomicLong commits = new AtomicLong();

  RateWriter(FreshnessBenchmark.Db db, int workers) throws SQLException {
    for (int i = 0; i < workers; i++) {
      Connection c = db.connect();
      c.setAutoCommit(true);
      connections.add(c);
    }
  }

  /** Transactions committed by every run so far (counted when the commit returned). */
  long commits() {
    return commits.get();
  }

  /**
   * Writes from {@code t0} (a {@link System#nanoTime()} value) for {@code warmupNanos +
   * measureNanos}; only transactions due inside the second part are measured and sampled.
   *
   * @param rate transactions per second, or 0 for as fast as possible
   * @param sampler receives every {@code sampleEvery}-th measured commit, or null
   */
  Result run(
      long t0,
      double rate,
      long warmupNanos,
      long measureNanos,
      @Nullable Sampler sampler,
      int sampleEvery)
      throws Exception {
    long from = t0 + warmupNanos;
    long end = from + measureNanos;
    AtomicLong next = new AtomicLong();
    AtomicLong measured = new AtomicLong();
    AtomicReference<@Nullable Exception> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    List<Histogram> late = new ArrayList<>();
    for (Connection c : connections) {
      Histogram h = Latency.micros();
      late.add(h);
      Thread t =
          new Thread(
              () -> {
                try (PreparedStatement ps = c.prepareStatement(UPDATE)) {
                  work(ps, t0, rate, from, end, next, measured, h, sampler, sampleEvery);
                } catch (Exception e) {
                  failure.compareAndSet(null, e);
                }
              },
              "fresh-writer-" + threads.size());
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    Exception e = failure.get();
    if (e != null) {
      throw e;
    }
    Histogram all = Latency.micros();
    late.forEach(all::add);
    return new Result(measured.get(), next.get(), all);
  }

  private void work(
      PreparedStatement ps,
      long t0,
      double rate,
      long from,
      long end,
      AtomicLong next,
      AtomicLong measured,
      Histogram late,
      @Nullable Sampler sampler,
      int sampleEvery)
      throws SQLException {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    while (true) {
      long intended;
      long k;
      if (rate > 0) {
        k = next.getAndIncrement();
        intended = t0 + (long) (k * 1e9 / rate);
        if (intended >= end) {
          next.decrementAndGet(); // not written: keep the count of the run exact
          return;
        }
        long wait;
        while ((wait = intended - System.nanoTime()) > 0) {
          LockSupport.parkNanos(wait);
        }
      } else {
        intended = System.nanoTime();
        if (intended >= end) {
          return;
        }
        k = next.getAndIncrement();
      }
      long id = 1L + random.nextInt(KEYS);
      long s = seq.incrementAndGet();
      ps.setLong(1, s);
      ps.setLong(2, id);
      if (ps.executeUpdate() != 1) {
        throw new IllegalStateException("no product " + id);
      }
      long committed = System.nanoTime();
      commits.incrementAndGet();
      if (intended >= from) {
        long n = measured.incrementAndGet();
        late.recordValue(Math.max(0, (committed - intended) / 1000));
        if (sampler != null && n % sampleEvery == 0) {
          sampler.committed(id, s, committed);
        }
      }
    }
  }

  @Override
  public void close() throws SQLException {
    for (Connection c : connections) {
      c.close();
    }
  }
}
