package dev.driftless.testinfra.faults;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * A Java process started with the test's own classpath, running a {@code main} class told what to
 * do by its arguments, and killed the way a machine or an operator kills it: {@link #kill()} is
 * {@code kill -9} ({@link Process#destroyForcibly()}, SIGKILL on Unix), so no shutdown hook, {@code
 * finally} or {@code close()} runs in it. The only honest test of what survives a crash.
 *
 * <p>The child's standard output and error are merged, kept as lines (for {@link #awaitLine}) and
 * copied to a log file. A test waits on the lines the child prints with a deadline, never by
 * sleeping. Thread-safe; one daemon thread reads the output.
 */
public final class ChildJvm implements AutoCloseable {

  private final Process process;
  private final Path log;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final List<String> lines = new ArrayList<>();
  private boolean outputEnded;

  private ChildJvm(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code mainClass} in a new JVM (this JVM's {@code java} and classpath) with {@code
   * jvmOptions} (such as {@code -Xmx256m}) and {@code args}, logging to {@code log} (appended).
   */
  public static ChildJvm start(
      Class<?> mainClass, List<String> jvmOptions, List<String> args, Path log) throws IOException {
    Objects.requireNonNull(mainClass, "mainClass");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass.getName());
    command.addAll(args);
    Files.createDirectories(Objects.requireNonNull(log.toAbsolutePath().getParent()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    ChildJvm child = new ChildJvm(p, log);
    Thread reader = new Thread(child::readOutput, "child-jvm-" + p.pid() + "-output");
    reader.setDaemon(true);
    reader.start();
    return child;
  }

  private void readOutput() {
    try (BufferedReader in =
            new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Writer out =
            Files.newBufferedWriter(
                log,
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND)) {
      out.write("---- child " + process.pid() + " started\n");
      String line;
      while ((line = in.readLine()) != null) {
        out.write(line);
        out.write('\n');
        out.flush();
        lock.lock();
        try {
          lines.add(line);
          changed.signalAll();
        } finally {
          lock.unlock();
        }
      }
    } catch (IOException e) {
      // the process died (killed): its output ends here
    } finally {
      lock.lock();
      try {
        outputEnded = true;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  /** The child's process id. */
  public long pid() {
    return process.pid();
  }

  /** Whether the process is still running. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Every line printed so far. */
  public List<String> lines() {
    lock.lock();
    try {
      return List.copyOf(lines);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until the child prints a line matching {@code condition} and returns the first such line.
   *
   * @throws AssertionError naming the log file if the deadline passes or the child ends first
   */
  public String awaitLine(Predicate<String> condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      int seen = 0;
      while (true) {
        for (; seen < lines.size(); seen++) {
          if (condition.test(lines.get(seen))) {
            return lines.get(seen);
          }
        }
        if (outputEnded) {
          throw new AssertionError(
              "child " + process.pid() + " ended before the awaited line; see " + log);
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              "child "
                  + process.pid()
                  + " did not print the awaited line in "
                  + timeout
                  + "; see "
                  + log);
        }
        changed.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
  }

  /** {@link #awaitLine(Predicate, Duration)} for a line starting with {@code prefix}. */
  public String awaitLine(String prefix, Duration timeout) throws InterruptedException {
    return awaitLine(l -> l.startsWith(prefix), timeout);
  }

  /** The last line printed that starts with {@code prefix}, if any. */
  public Optional<String> lastLine(String prefix) {
    List<String> all = lines();
    for (int i = all.size() - 1; i >= 0; i--) {
      if (all.get(i).startsWith(prefix)) {
        return Optional.of(all.get(i));
      }
    }
    return Optional.empty();
  }

  /** Kills the process with SIGKILL ({@code kill -9}) and waits until it is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError("child " + process.pid() + " survived SIGKILL for 30 s");
    }
  }

  /** Waits for the process to end by itself; returns its exit code, or null at the deadline. */
  public @Nullable Integer awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS) ? process.exitValue() : null;
  }

  /** Kills the process if it still runs (a test's clean-up). */
  @Override
  public void close() {
    if (process.isAlive()) {
      try {
        kill();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new UncheckedIOException(new IOException("interrupted while killing the child", e));
      }
    }
  }
}
