package dev.driftless.postgres;

import dev.driftless.core.internal.Redaction;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Where a PostgreSQL database is and how to log in, given once and shared: by {@link
 * PostgresSourceBuilder#database}, and so by the source's repair reads and backfill, and by {@link
 * dev.driftless.postgres.reconcile.PostgresFingerprintReader.Builder#database}.
 *
 * <p>Either a JDBC URL (or host, port and database) with a user and password, or an application's
 * own {@link DataSource}, or both: the replication connection of a {@link PostgresSource} always
 * needs the URL and user (a pool cannot open a replication connection), while every other
 * connection (repair reads, backfill chunks, type look-ups, reconciliation) is borrowed from the
 * {@code DataSource} when one is given. A database with only a {@code DataSource} serves a
 * fingerprint reader (on a replica, say) but not a source.
 *
 * <p>Immutable and thread-safe. {@link #toString()} never shows the password.
 */
public final class PostgresDatabase {
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:\\[\\]-]{1,253}");
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}");

  private final @Nullable String jdbcUrl;
  private final @Nullable String user;
  private final @Nullable String password;
  private final @Nullable DataSource dataSource;

  private PostgresDatabase(Builder b, @Nullable String jdbcUrl) {
    this.jdbcUrl = jdbcUrl;
    this.user = b.user;
    this.password = b.password;
    this.dataSource = b.dataSource;
  }

  /** A builder: a URL (or host and database) and a user, or a {@link DataSource}, or both. */
  public static Builder builder() {
    return new Builder();
  }

  /** The JDBC URL (it never carries a password), if one was given. */
  public Optional<String> jdbcUrl() {
    return Optional.ofNullable(jdbcUrl);
  }

  /** The user the URL logs in as, if a URL was given. */
  public Optional<String> user() {
    return Optional.ofNullable(user);
  }

  /** The application's {@link DataSource}, if one was given. */
  public Optional<DataSource> dataSource() {
    return Optional.ofNullable(dataSource);
  }

  /**
   * A new ordinary (not replication) connection: borrowed from the {@link DataSource} if one was
   * given, else opened from the URL. The caller closes it.
   */
  public Connection connect() throws SQLException {
    DataSource ds = dataSource;
    return ds != null ? ds.getConnection() : connect(new Properties());
  }

  /**
   * A new connection opened from the URL, user and password with these extra pgJDBC properties (the
   * source adds {@code replication=database} for its replication connection, and its application
   * name to the others). The caller closes it.
   *
   * @throws IllegalStateException if this database has no URL (only a {@link DataSource})
   */
  public Connection connect(Properties properties) throws SQLException {
    Objects.requireNonNull(properties, "properties");
    String url = jdbcUrl;
    String u = user;
    if (url == null || u == null) {
      throw new IllegalStateException(
          "this PostgresDatabase has only a dataSource; a jdbcUrl and user are needed here");
    }
    Properties props = new Properties();
    props.putAll(properties);
    props.setProperty("user", u);
    if (password != null) {
      props.setProperty("password", Objects.requireNonNull(password));
    }
    return DriverManager.getConnection(url, props);
  }

  @Override
  public String toString() {
    return "PostgresDatabase["
        + (jdbcUrl == null ? "" : Redaction.redact(jdbcUrl) + " as " + user)
        + (dataSource == null ? "" : (jdbcUrl == null ? "" : ", ") + "dataSource")
        + "]";
  }

  /**
   * Configures a {@link PostgresDatabase}. Each setter checks its argument at once ({@link
   * NullPointerException} naming it, {@link IllegalArgumentException} for a bad value); {@link
   * #build()} checks the combination ({@link IllegalStateException}). Not thread-safe.
   */
  public static final class Builder {
    private @Nullable String jdbcUrl;
    private @Nullable String host;
    private int port = 5432;
    private @Nullable String database;
    private @Nullable String user;
    private @Nullable String password;
    private @Nullable DataSource dataSource;

    private Builder() {}

    /**
     * The server's JDBC URL, {@code jdbc:postgresql://host:port/database} (query parameters such as
     * {@code sslmode}, {@code sslrootcert} are kept). Either this or {@link #host} and {@link
     * #database}. It must not carry the password (a {@code password=} parameter or {@code
     * user:password@}): give it with {@link #password}, so that it never shows in a URL.
     *
     * @throws IllegalArgumentException if it is not a PostgreSQL JDBC URL or carries a password;
     *     the message shows the URL with its credentials hidden
     */
    public Builder jdbcUrl(String jdbcUrl) {
      Objects.requireNonNull(jdbcUrl, "jdbcUrl");
      if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException(
            "jdbcUrl must start with jdbc:postgresql:, was " + Redaction.redact(jdbcUrl));
      }
      if (Redaction.carriesPassword(jdbcUrl)) {
        throw new IllegalArgumentException(
            "jdbcUrl must not carry a password ("
                + Redaction.redact(jdbcUrl)
                + "): give it with password(...), so that it never shows in a URL");
      }
      this.jdbcUrl = jdbcUrl;
      return this;
    }

    /** The server's host name or address (instead of {@link #jdbcUrl}). */
    public Builder host(String host) {
      Objects.requireNonNull(host, "host");
      if (!HOST.matcher(host).matches()) {
        throw new IllegalArgumentException(
            "host is not a host name or address: " + Redaction.redact(host));
      }
      this.host = host;
      return this;
    }

    /** The server's port, 1 to 65535, with {@link #host}. Default 5432. */
    public Builder port(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port must be in 1..65535, was " + port);
      }
      this.port = port;
      return this;
    }

    /** The database's name, with {@link #host}. */
    public Builder database(String database) {
      Objects.requireNonNull(database, "database");
      if (!IDENTIFIER.matcher(database).matches()) {
        throw new IllegalArgumentException(
            "database must be an identifier (letters, digits, _ or $, not starting with a digit,"
                + " at most 63), was '"
                + database
                + "'");
      }
      this.database = database;
      return this;
    }

    /**
     * The role to log in as with the URL. A source's role needs REPLICATION (or superuser) and
     * SELECT on the tables; a fingerprint reader's, SELECT.
     */
    public Builder user(String user) {
      Objects.requireNonNull(user, "user");
      if (user.isBlank()) {
        throw new IllegalArgumentException("user must not be blank");
      }
      this.user = user;
      return this;
    }

    /** The role's password. Default none. */
    public Builder password(String password) {
      this.password = Objects.requireNonNull(password, "password");
      return this;
    }

    /**
     * The application's own {@link DataSource}, for every connection but the replication
     * connection: one is borrowed per read and closed (returned) after. Default none.
     */
    public Builder dataSource(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
      return this;
    }

    /**
     * The database.
     *
     * @throws IllegalStateException if both a URL and host/database are set, if a URL is set
     *     without a user (or a user or password without a URL), or if nothing is set
     */
    public PostgresDatabase build() {
      String url = jdbcUrl;
      if (url != null && (host != null || database != null)) {
        throw new IllegalStateException("set either jdbcUrl or host/port/database, not both");
      }
      if (url == null && (host != null || database != null)) {
        if (host == null || database == null) {
          throw new IllegalStateException("host and database must be set together");
        }
        url = "jdbc:postgresql://" + host + ":" + port + "/" + database;
      }
      if (url == null) {
        if (dataSource == null) {
          throw new IllegalStateException(
              "jdbcUrl (or host and database), or dataSource, must be set");
        }
        if (user != null || password != null) {
          throw new IllegalStateException(
              "user and password go with jdbcUrl; a dataSource carries its own credentials");
        }
      } else if (user == null) {
        throw new IllegalStateException("user must be set with jdbcUrl (or host and database)");
      }
      return new PostgresDatabase(this, url);
    }
  }
}
