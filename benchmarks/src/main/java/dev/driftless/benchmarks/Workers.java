package dev.driftless.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Runs one task on a fixed number of threads at once and waits for all of them. */
final class Workers {

  /** A task that may throw; each thread runs it once (it loops over shared work itself). */
  @FunctionalInterface
  interface Task {
    void run() throws Exception;
  }

  private Workers() {}

  /** Runs {@code task} on {@code threads} threads; rethrows the first failure. */
  static void run(int threads, Task task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        futures.add(
            pool.submit(
                () -> {
                  task.run();
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (ExecutionException e) {
          for (Future<?> other : futures) {
            other.cancel(true);
          }
          Throwable cause = e.getCause();
          if (cause instanceof Exception ex) {
            throw ex;
          }
          throw e;
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
