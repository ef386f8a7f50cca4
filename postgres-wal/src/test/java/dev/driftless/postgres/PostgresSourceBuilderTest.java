package dev.driftless.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.postgres.reconcile.PostgresFingerprintReader;
import java.io.PrintWriter;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Configuration is validated when set and when built; names that could inject SQL are refused; the
 * connection settings are given once, as a {@link PostgresDatabase}.
 */
class PostgresSourceBuilderTest {

  private static final PostgresDatabase DB =
      PostgresDatabase.builder().host("localhost").database("app").user("u").build();

  private static PostgresSourceBuilder valid() {
    return PostgresSource.builder().database(DB).slotName("s1").publication("p1");
  }

  @Test
  void aCompleteConfigurationBuilds() {
    assertThatCode(() -> valid().tables(List.of("items", "shop.orders")).build())
        .doesNotThrowAnyException();
    PostgresDatabase withUrl =
        PostgresDatabase.builder()
            .jdbcUrl("jdbc:postgresql://db:5432/app?sslmode=require")
            .user("u")
            .password("secret")
            .build();
    PostgresSource source =
        PostgresSource.builder().database(withUrl).slotName("s1").publication("p1").build();
    assertThat(source.database()).isSameAs(withUrl);
    assertThat(withUrl.toString()).doesNotContain("secret");
    assertThat(DB.jdbcUrl()).contains("jdbc:postgresql://localhost:5432/app");
  }

  @Test
  void aJdbcUrlCarryingAPasswordIsRefusedNamingPasswordAndWithoutShowingIt() {
    for (String url :
        List.of(
            "jdbc:postgresql://db/shop?user=app&password=s3cret",
            "jdbc:postgresql://db/shop?PASSWORD=s3cret&sslmode=require",
            "jdbc:postgresql://app:s3cret@db/shop")) {
      assertThatThrownBy(() -> PostgresDatabase.builder().jdbcUrl(url))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("password(...)")
          .hasMessageNotContaining("s3cret");
    }
  }

  @Test
  void aJdbcUrlOfAnotherKindIsRefusedWithoutShowingItsCredentials() {
    assertThatThrownBy(() -> PostgresDatabase.builder().jdbcUrl("postgresql://app:secret@db/shop"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("jdbcUrl must start with jdbc:postgresql:, was postgresql://app:***@db/shop");
  }

  @Test
  void namesThatCouldInjectSqlAreRefusedNamingTheSetting() {
    assertThatThrownBy(() -> valid().slotName("s'); DROP TABLE x; --"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("slotName");
    assertThatThrownBy(() -> valid().slotName("Upper"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> valid().publication("p\" FOR ALL TABLES; --"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("publication");
    assertThatThrownBy(() -> valid().tables(List.of("items; DROP TABLE items")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tables[0]");
    assertThatThrownBy(() -> PostgresDatabase.builder().database("app?options=-c"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("database");
    assertThatThrownBy(() -> PostgresDatabase.builder().host("evil/x"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void standbySettingsAreCheckedNamingTheSetting() {
    assertThatCode(() -> valid().standby(true).build()).doesNotThrowAnyException();
    assertThatCode(() -> valid().standby(true).takeoverTimeout(Duration.ofSeconds(2)).build())
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> valid().takeoverTimeout(Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("takeoverTimeout");
    assertThatThrownBy(() -> valid().takeoverTimeout(Duration.ofMinutes(11)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("takeoverTimeout");
    assertThatThrownBy(() -> valid().takeoverTimeout(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("takeoverTimeout");
    assertThatThrownBy(() -> valid().takeoverTimeout(Duration.ofSeconds(5)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("takeoverTimeout")
        .hasMessageContaining("standby");
    assertThatThrownBy(() -> valid().standby(true).temporarySlot(true).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("temporarySlot");
    assertThatThrownBy(() -> valid().standby(true).dropSlotOnClose(true).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("dropSlotOnClose");
  }

  @Test
  void nullsAndRangesAreCheckedAtOnce() {
    assertThatThrownBy(() -> PostgresDatabase.builder().user(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("user");
    assertThatThrownBy(() -> valid().database(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("database");
    assertThatThrownBy(() -> PostgresDatabase.builder().port(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> valid().protocolVersion(5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> valid().statusInterval(Duration.ofMillis(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("statusInterval");
    assertThatThrownBy(() -> PostgresDatabase.builder().jdbcUrl("jdbc:mysql://x/y"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void crossFieldRulesAreCheckedAtBuild() {
    assertThatThrownBy(() -> PostgresSource.builder().slotName("s").publication("p").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("database");
    assertThatThrownBy(
            () ->
                PostgresDatabase.builder()
                    .jdbcUrl("jdbc:postgresql://x/y")
                    .host("h")
                    .database("d")
                    .user("u")
                    .build())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> PostgresDatabase.builder().jdbcUrl("jdbc:postgresql://x/y").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("user");
    assertThatThrownBy(() -> PostgresDatabase.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("dataSource");
    assertThatThrownBy(() -> PostgresSource.builder().database(DB).publication("p").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("slotName");
    assertThatThrownBy(() -> valid().temporarySlot(true).dropSlotOnClose(true).build())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aDatabaseWithOnlyADataSourceServesAFingerprintReaderButNotASource() {
    PostgresDatabase pooled = PostgresDatabase.builder().dataSource(new NoDataSource()).build();
    assertThatThrownBy(() -> pooled.connect(new java.util.Properties()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("jdbcUrl");
    assertThatThrownBy(
            () -> PostgresSource.builder().database(pooled).slotName("s").publication("p").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("replication connection");
    assertThatCode(
            () ->
                PostgresFingerprintReader.builder()
                    .database(pooled)
                    .table("public", "items")
                    .build())
        .doesNotThrowAnyException();
    assertThatThrownBy(
            () -> PostgresDatabase.builder().dataSource(new NoDataSource()).user("u").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("dataSource carries its own credentials");
  }

  /** A data source that is never asked for a connection here. */
  private static final class NoDataSource implements DataSource {
    @Override
    public Connection getConnection() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Connection getConnection(String username, String password) {
      throw new UnsupportedOperationException();
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
    public Logger getParentLogger() {
      return Logger.getGlobal();
    }

    @Override
    public <T> T unwrap(Class<T> iface) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }
}
