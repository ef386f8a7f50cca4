package dev.driftless.testinfra.elasticsearch;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner;
import org.elasticsearch.node.Node;
import org.jspecify.annotations.Nullable;

/**
 * One real Elasticsearch 7.10.2 node, running inside this JVM, bound to a loopback port.
 *
 * <p>The node is a single-node cluster ({@code discovery.type=single-node}), so it never tries to
 * join another engineer's node on the same machine. Its HTTP and transport ports are chosen once,
 * when the node is built, and kept across {@link #stop()} and {@link #start()}: a restarted node
 * answers on the same URL and reopens the same data directory, with the same indices and documents.
 *
 * <p>The JVM must run with {@code -da:org.elasticsearch...}: the node's cgroup v2 probe trips an
 * assertion otherwise. Running as root is fine: the root check lives in Elasticsearch's
 * command-line bootstrap, which an in-process node does not go through (nor through the bootstrap
 * checks, which only apply to non-loopback addresses anyway).
 *
 * <p>Start one node per test JVM (a node takes several seconds to start and a few hundred MB of
 * heap). Thread-safe: every method is synchronized; {@link #start()}, {@link #stop()} and {@link
 * #restart()} block until the node serves HTTP (cluster health yellow) or has closed.
 */
public final class ElasticsearchNode implements AutoCloseable {

  private static final String CONFIG_RESOURCE = "log4j2.properties";

  private final Path baseDir;
  private final boolean deleteOnClose;
  private final String clusterName;
  private final int httpPort;
  private final int transportPort;
  private final Map<String, String> settings;
  private final Duration startTimeout;
  private final HttpClient http;

  private @Nullable ElasticsearchClusterRunner runner;
  private boolean running;
  private boolean closed;

  private ElasticsearchNode(Builder builder, Path baseDir, boolean deleteOnClose) {
    this.baseDir = baseDir;
    this.deleteOnClose = deleteOnClose;
    this.clusterName = builder.clusterName;
    this.httpPort = builder.httpPort != 0 ? builder.httpPort : freePort();
    this.transportPort = freePort();
    this.settings = Map.copyOf(builder.settings);
    this.startTimeout = builder.startTimeout;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  }

  /** A builder for a node with the defaults described on each setter. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the node, or starts it again after {@link #stop()} on the same data directory and port.
   * Does nothing if it runs. Blocks until the cluster is at least yellow.
   *
   * @throws IllegalStateException if the node was closed, or does not come up within the start
   *     timeout
   */
  public synchronized void start() {
    if (closed) {
      throw new IllegalStateException("node was closed");
    }
    if (running) {
      return;
    }
    ElasticsearchClusterRunner current = runner;
    if (current == null) {
      current = new ElasticsearchClusterRunner();
      prepareConfig();
      current.onBuild(
          (index, s) -> {
            s.put("network.host", "127.0.0.1");
            s.put("http.port", Integer.toString(httpPort));
            s.put("transport.port", Integer.toString(transportPort));
            s.put("discovery.type", "single-node");
            // A crowded build machine's disk must not turn indices read-only mid-test.
            s.put("cluster.routing.allocation.disk.threshold_enabled", "false");
            settings.forEach(s::put);
          });
      runner = current;
      current.build(
          ElasticsearchClusterRunner.newConfigs()
              .basePath(baseDir.toString())
              .clusterName(clusterName)
              .numOfNode(1)
              .useLogger());
    } else if (!current.startNode(0)) {
      throw new IllegalStateException("the node did not start again; see the log");
    }
    running = true;
    awaitHealthy();
  }

  /**
   * Stops the node, keeping its data directory, so that {@link #start()} brings it back with the
   * same indices. Blocks until the node has closed its ports. Does nothing if it is not running.
   */
  public synchronized void stop() {
    ElasticsearchClusterRunner current = runner;
    if (!running || current == null) {
      return;
    }
    running = false;
    Node node = current.getNode(0);
    try {
      node.close();
      if (!node.awaitClose(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("node did not close within 30 s");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping the node", e);
    }
  }

  /** {@link #stop()} then {@link #start()}. */
  public synchronized void restart() {
    stop();
    start();
  }

  /** Whether the node has been started and not stopped since. */
  public synchronized boolean isRunning() {
    return running;
  }

  /** The HTTP base URL, for example {@code http://127.0.0.1:43127}. Stable across restarts. */
  public String url() {
    return "http://127.0.0.1:" + httpPort;
  }

  /** The HTTP base URI; see {@link #url()}. */
  public URI uri() {
    return URI.create(url());
  }

  /** The loopback HTTP port. */
  public int httpPort() {
    return httpPort;
  }

  /** The directory holding the node's data, logs and configuration. */
  public Path baseDir() {
    return baseDir;
  }

  /** The settings given to the builder, on top of this class's defaults. */
  public Map<String, String> settings() {
    return settings;
  }

  /**
   * Stops the node for good and, unless the builder was given a directory of its own, deletes its
   * data. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    ElasticsearchClusterRunner current = runner;
    runner = null;
    running = false;
    if (current != null) {
      try {
        current.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        if (deleteOnClose) {
          deleteRecursively(baseDir);
        }
      }
    } else if (deleteOnClose) {
      deleteRecursively(baseDir);
    }
  }

  private void prepareConfig() {
    // The runner copies its own, very chatty logging configuration unless one is already there.
    Path config = baseDir.resolve("node_1").resolve("config");
    try (InputStream in = ElasticsearchNode.class.getResourceAsStream(CONFIG_RESOURCE)) {
      Files.createDirectories(config);
      Files.copy(
          Objects.requireNonNull(in, CONFIG_RESOURCE),
          config.resolve(CONFIG_RESOURCE),
          StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitHealthy() {
    Instant deadline = Instant.now().plus(startTimeout);
    URI health = URI.create(url() + "/_cluster/health?wait_for_status=yellow&timeout=5s");
    String last = "no answer yet";
    while (Instant.now().isBefore(deadline)) {
      try {
        HttpResponse<String> response =
            http.send(
                HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return;
        }
        last = response.statusCode() + " " + response.body();
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the node", e);
      }
      pause();
    }
    throw new IllegalStateException(
        "Elasticsearch at " + url() + " not healthy within " + startTimeout + ": " + last);
  }

  private static void pause() {
    try {
      TimeUnit.MILLISECONDS.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the node", e);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.delete(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, @Nullable IOException exc)
                throws IOException {
              Files.delete(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Configures an {@link ElasticsearchNode}. Not thread-safe. */
  public static final class Builder {
    private @Nullable Path baseDir;
    private String clusterName = "driftless-test";
    private int httpPort;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private Duration startTimeout = Duration.ofSeconds(90);

    private Builder() {}

    /**
     * Where the node keeps data, logs and configuration; kept on {@link #close()}. By default a new
     * temporary directory, deleted on close.
     */
    public Builder baseDir(Path dir) {
      this.baseDir = Objects.requireNonNull(dir, "dir");
      return this;
    }

    /** The cluster name; {@code driftless-test} by default. */
    public Builder clusterName(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("name must not be blank");
      }
      this.clusterName = name;
      return this;
    }

    /** The loopback HTTP port; a free one by default. */
    public Builder httpPort(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port must be in [1, 65535], was " + port);
      }
      this.httpPort = port;
      return this;
    }

    /**
     * A node setting from {@code elasticsearch.yml}, applied on top of this class's defaults (and
     * able to override them).
     */
    public Builder setting(String key, String value) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      settings.put(key, value);
      return this;
    }

    /**
     * Shrinks the {@code write} thread pool, which executes every shard-level bulk request, so that
     * a few concurrent bulk requests make the node itself answer 429 ({@code
     * es_rejected_execution_exception}).
     *
     * @param threads threads of the pool, at least 1
     * @param queueSize tasks waiting for a thread beyond which the node rejects, at least 1
     */
    public Builder writeThreadPool(int threads, int queueSize) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1, was " + threads);
      }
      if (queueSize < 1) {
        throw new IllegalArgumentException("queueSize must be at least 1, was " + queueSize);
      }
      settings.put("thread_pool.write.size", Integer.toString(threads));
      settings.put("thread_pool.write.queue_size", Integer.toString(queueSize));
      return this;
    }

    /** How long {@link ElasticsearchNode#start()} waits for a healthy node; 90 s by default. */
    public Builder startTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive, was " + timeout);
      }
      this.startTimeout = timeout;
      return this;
    }

    /** A node, not started yet. */
    public ElasticsearchNode build() {
      Path dir = baseDir;
      if (dir != null) {
        return new ElasticsearchNode(this, dir, false);
      }
      try {
        return new ElasticsearchNode(this, Files.createTempDirectory("driftless-es-"), true);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
