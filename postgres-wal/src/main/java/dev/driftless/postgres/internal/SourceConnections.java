package dev.driftless.postgres.internal;

import dev.driftless.postgres.PostgresDatabase;
import java.sql.Connection;
import java.sql.SQLException;
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

  SourceConnections(PostgresDatabase database, String slotName) {
    this.database = database;
    this.slotName = slotName;
  }

  /** A connection for slot, publication and catalog statements. */
  Connection admin() throws SQLException {
    return database.connect(base());
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
    props.setProperty("tcpKeepAlive", "true");
    return props;
  }
}
