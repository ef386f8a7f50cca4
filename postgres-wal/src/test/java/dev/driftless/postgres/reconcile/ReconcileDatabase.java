package dev.driftless.postgres.reconcile;

import dev.driftless.postgres.PostgresDatabase;
import dev.driftless.testinfra.postgres.PostgresServer;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * The database the reconciliation ITs share (one server per JVM), and a data source whose sessions
 * render text as differently as possible from what reconciliation needs — so a reader that forgot
 * to set its session up fails the tests.
 */
final class ReconcileDatabase {

  static final String NAME = "driftless_reconcile";

  /** Settings that change the text of timestamps, intervals, floats and bytea. */
  static final String[] HOSTILE_SESSION = {
    "SET TimeZone = 'Asia/Kathmandu'",
    // pgJDBC refuses a DateStyle that does not start with ISO, so only the order can differ.
    "SET DateStyle = 'ISO, DMY'",
    "SET IntervalStyle = 'sql_standard'",
    "SET extra_float_digits = -3",
    "SET bytea_output = 'escape'"
  };

  /** Settings under which {@code ::text} gives the texts reconciliation fingerprints. */
  static final String[] REFERENCE_SESSION = {
    "SET TimeZone = 'UTC'",
    "SET DateStyle = 'ISO, MDY'",
    "SET IntervalStyle = 'postgres'",
    "SET extra_float_digits = 1",
    "SET bytea_output = 'hex'"
  };

  private ReconcileDatabase() {}

  static synchronized PostgresServer server() throws SQLException {
    PostgresServer s = PostgresServer.shared();
    s.createDatabase(NAME);
    return s;
  }

  static void exec(String... statements) throws SQLException {
    try (Connection c = server().connect(NAME);
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  /** A connection set up for reference texts. */
  static Connection reference() throws SQLException {
    Connection c = server().connect(NAME);
    try (Statement s = c.createStatement()) {
      for (String sql : REFERENCE_SESSION) {
        s.execute(sql);
      }
    }
    return c;
  }

  /** A reader builder over the hostile data source. */
  static PostgresFingerprintReader.Builder reader() throws SQLException {
    return PostgresFingerprintReader.builder()
        .database(PostgresDatabase.builder().dataSource(new HostileDataSource(server())).build());
  }

  /** Hands out superuser connections whose session settings are {@link #HOSTILE_SESSION}. */
  private static final class HostileDataSource implements DataSource {
    private final PostgresServer server;

    HostileDataSource(PostgresServer server) {
      this.server = server;
    }

    @Override
    public Connection getConnection() throws SQLException {
      Connection c = server.connect(NAME);
      try (Statement s = c.createStatement()) {
        for (String sql : HOSTILE_SESSION) {
          s.execute(sql);
        }
      }
      return c;
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
      return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
      return new PrintWriter(System.err);
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }
}
