package dev.driftless.spring.boot.internal;

import static dev.driftless.spring.boot.internal.PropertyChecks.missing;
import static dev.driftless.spring.boot.internal.PropertyChecks.property;

import dev.driftless.postgres.BackfillSettings;
import dev.driftless.postgres.PostgresDatabase;
import dev.driftless.postgres.PostgresSource;
import dev.driftless.postgres.PostgresSourceBuilder;
import dev.driftless.spring.boot.DriftlessProperties.BackfillProperties;
import dev.driftless.spring.boot.DriftlessProperties.PostgresProperties;
import java.time.Duration;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.springframework.core.env.Environment;

/** Builds the PostgreSQL database and source from {@code driftless.postgres.*}. */
public final class PostgresSources {

  private PostgresSources() {}

  /**
   * The database: {@code driftless.postgres.url}, {@code username} and {@code password} when the
   * URL is set; else the application's {@code spring.datasource.*} connection settings, with the
   * application's {@code DataSource} for every connection but the replication connection.
   *
   * @throws
   *     org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException
   *     naming the property that is missing or invalid
   */
  public static PostgresDatabase database(
      PostgresProperties p, Environment env, @Nullable DataSource applicationDataSource) {
    boolean own = p.getUrl() != null && !p.getUrl().isBlank();
    String prefix = own ? "driftless.postgres." : "spring.datasource.";
    String url = own ? p.getUrl() : env.getProperty("spring.datasource.url");
    String user = own ? p.getUsername() : env.getProperty("spring.datasource.username");
    String password = own ? p.getPassword() : env.getProperty("spring.datasource.password");
    if (url == null || url.isBlank()) {
      throw missing(
          "driftless.postgres.url",
          "the replication connection needs a PostgreSQL JDBC URL; set driftless.postgres.url, or"
              + " spring.datasource.url to share the application's database");
    }
    PostgresDatabase.Builder b = PostgresDatabase.builder();
    property(prefix + "url", url, () -> b.jdbcUrl(url));
    if (user == null || user.isBlank()) {
      throw missing(prefix + "username", "the replication connection logs in with it");
    }
    property(prefix + "username", user, () -> b.user(user));
    if (password != null) {
      property(prefix + "password", null, () -> b.password(password));
    }
    if (!own && applicationDataSource != null) {
      b.dataSource(applicationDataSource);
    }
    return property(prefix + "url", url, b::build);
  }

  /**
   * The source.
   *
   * @throws
   *     org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException
   *     naming the property that is missing or invalid
   */
  public static PostgresSource source(PostgresProperties p, PostgresDatabase database) {
    PostgresSourceBuilder b = PostgresSource.builder().database(database);
    String slot = p.getSlotName();
    if (slot == null) {
      throw missing("driftless.postgres.slot-name", "the replication slot to read from");
    }
    property("driftless.postgres.slot-name", slot, () -> b.slotName(slot));
    String publication = p.getPublication();
    if (publication == null) {
      throw missing("driftless.postgres.publication", "the publication to replicate");
    }
    property("driftless.postgres.publication", publication, () -> b.publication(publication));
    property("driftless.postgres.tables", p.getTables(), () -> b.tables(p.getTables()));
    b.createSlot(p.isCreateSlot());
    b.createPublication(p.isCreatePublication());
    b.resyncOnSlotLoss(p.isResyncOnSlotLoss());
    b.standby(p.isStandby());
    Duration takeover = p.getTakeoverTimeout();
    if (takeover != null) {
      property("driftless.postgres.takeover-timeout", takeover, () -> b.takeoverTimeout(takeover));
    }
    Duration heartbeat = p.getHeartbeatInterval();
    if (heartbeat != null) {
      property(
          "driftless.postgres.heartbeat-interval", heartbeat, () -> b.heartbeatInterval(heartbeat));
    }
    BackfillProperties fill = p.getBackfill();
    if (fill.isEnabled()) {
      BackfillSettings settings =
          property(
              "driftless.postgres.backfill",
              null,
              () ->
                  BackfillSettings.builder()
                      .tables(fill.getTables())
                      .chunkRows(fill.getChunkRows())
                      .rowsPerSecond(fill.getRowsPerSecond())
                      .build());
      b.backfill(settings);
    }
    return property("driftless.postgres", null, b::build);
  }
}
