package dev.driftless.postgres.internal;

import dev.driftless.postgres.PostgresDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/**
 * Opens the source's connections to its {@link PostgresDatabase}: the administrative one (slot and
 * catalog work, always from the URL, named after the slot so that a half-made slot's backend is
 * recognised), the readers (repair, backfill, types: from the application's {@code DataSource} when
 * it gave one) and the replication connection. Stateless; thread-safe.
 */
final class SourceConnections {
  private final PostgresDatabase database;
  private final String slotName;
  private final boolean multiHost;
  private final Duration responseTimeout;

  SourceConnections(PostgresDatabase database, String slotName, Duration responseTimeout) {
    this.database = database;
    this.slotName = slotName;
    this.responseTimeout = responseTimeout;
    this.multiHost = database.jdbcUrl().map(SourceConnections::multiHost).orElse(false);
  }

  /** Whether {@code url} names several hosts ({@code jdbc:postgresql://a:5432,b:5432/db}). */
  static boolean multiHost(String url) {
    String rest = url.substring("jdbc:postgresql:".length());
    if (!rest.startsWith("//")) {
      return false;
    }
    int end = rest.indexOf('/', 2);
    String hosts = end < 0 ? rest.substring(2) : rest.substring(2, end);
    return hosts.contains(",");
  }

  /** How long a login or a short query may wait for the server. */
  Duration responseTimeout() {
    return responseTimeout;
  }

  /** A connection for slot, publication and catalog statements. */
  Connection admin() throws SQLException {
    return database.connect(base());
  }

  /** A connection like {@link #admin()} with these extra pgJDBC properties. */
  Connection admin(Properties extra) throws SQLException {
    Properties props = base();
    props.putAll(extra);
    return database.connect(props);
  }

  /** A connection for reads of rows and types. */
  Connection reader() throws SQLException {
    return database.dataSource().isPresent() ? database.connect() : admin();
  }

  /** A walsender connection in logical replication mode (simple query protocol). */
  Connection replication() throws SQLException {
    Properties props = base();
    props.setProperty("replication", "database");
    props.setProperty("assumeMinServerVersion", "10");
    props.setProperty("preferQueryMode", "simple");
    return database.connect(props);
  }

  private Properties base() {
    Properties props = new Properties();
    props.setProperty("ApplicationName", ReplicationSetup.applicationName(slotName));
    props.setProperty("connectTimeout", "10");
    // The whole login, not only the TCP connect: a server that accepts and then stays silent (a
    // partition behind a proxy or load balancer) must fail the attempt, not hang it.
    props.setProperty("loginTimeout", Long.toString(Math.max(1, responseTimeout.toSeconds())));
    props.setProperty("tcpKeepAlive", "true");
    // A multi-host URL (a managed service's primary and replicas, before and after a failover):
    // the source writes (slot, publication, heartbeats) and so needs the primary. A
    // targetServerType in the URL itself takes precedence.
    if (multiHost) {
      props.setProperty("targetServerType", "primary");
    }
    return props;
  }
}
