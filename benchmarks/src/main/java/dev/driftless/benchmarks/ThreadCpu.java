package dev.driftless.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Records the CPU time of this JVM's threads while a run lasts, split between the in-process search
 * node (threads named {@code opensearch[...]} or {@code elasticsearch[...]}, and Lucene's merge
 * threads) and the other Java threads (the client side: the contender's threads, its HTTP client,
 * the pipeline). Threads are sampled every 20 ms, so a thread that starts and ends between two
 * samples, or the last 20 ms of one that ends, is missed; the process's CPU time minus both parts
 * is the JVM's own work (garbage collection, JIT compilation) plus that small remainder. A node in
 * a child process (OpenSearch 3.x, {@code -Dopensearch=3}) counts as server: the CPU time of this
 * JVM's descendant processes between start and close.
 */
final class ThreadCpu implements AutoCloseable {

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final Map<Long, Long> first = new HashMap<>();
  private final Map<Long, Long> last = new HashMap<>();
  private final Map<Long, Boolean> server = new HashMap<>();
  private final Thread sampler;
  private volatile boolean running = true;
  private final long childrenFirst;
  private long childrenLast;

  private ThreadCpu() {
    childrenFirst = childrenNanos();
    childrenLast = childrenFirst;
    sample(true);
    sampler =
        new Thread(
            () -> {
              while (running) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                sample(false);
              }
            },
            "bench-thread-cpu");
    sampler.setDaemon(true);
    sampler.start();
  }

  /** Whether this JVM measures per-thread CPU time. */
  static boolean supported() {
    return THREADS.isThreadCpuTimeSupported() && THREADS.isThreadCpuTimeEnabled();
  }

  /** Starts recording now. */
  static ThreadCpu start() {
    return new ThreadCpu();
  }

  private synchronized void sample(boolean baseline) {
    long[] ids = THREADS.getAllThreadIds();
    ThreadInfo[] infos = THREADS.getThreadInfo(ids);
    for (int i = 0; i < ids.length; i++) {
      long nanos = THREADS.getThreadCpuTime(ids[i]);
      if (nanos < 0 || infos[i] == null || infos[i].getThreadName().equals("bench-thread-cpu")) {
        continue;
      }
      // A thread first seen after the baseline started during the run: all its CPU counts.
      first.putIfAbsent(ids[i], baseline ? nanos : 0L);
      last.put(ids[i], nanos);
      String name = infos[i].getThreadName();
      server.put(
          ids[i],
          name.startsWith("opensearch[")
              || name.startsWith("elasticsearch[")
              || name.startsWith("Lucene Merge Thread"));
    }
  }

  /** Stops recording (after a last sample). */
  @Override
  public void close() {
    running = false;
    try {
      sampler.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sample(false);
    synchronized (this) {
      childrenLast = childrenNanos();
    }
  }

  /** Nanoseconds of CPU the search node's threads (or its child process) used. */
  synchronized long serverNanos() {
    return sum(true) + Math.max(0, childrenLast - childrenFirst);
  }

  /** CPU time of this JVM's descendant processes (a search node started as a child process). */
  private static long childrenNanos() {
    return ProcessHandle.current()
        .descendants()
        .mapToLong(p -> p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L))
        .sum();
  }

  /** Nanoseconds of CPU the other Java threads used. */
  synchronized long clientNanos() {
    return sum(false);
  }

  private long sum(boolean ofServer) {
    long sum = 0;
    for (Map.Entry<Long, Long> e : last.entrySet()) {
      if (Boolean.valueOf(ofServer).equals(server.get(e.getKey()))) {
        sum += Math.max(0, e.getValue() - first.getOrDefault(e.getKey(), 0L));
      }
    }
    return sum;
  }
}
