package dev.driftless.postgres;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Configuration is validated when set and when built; names that could inject SQL are refused. */
class PostgresSourceBuilderTest {

  private static PostgresSourceBuilder valid() {
    return PostgresSource.builder()
        .host("localhost")
        .database("app")
        .user("u")
        .slotName("s1")
        .publication("p1");
  }

  @Test
  void aCompleteConfigurationBuilds() {
    assertThatCode(() -> valid().tables(List.of("items", "shop.orders")).build())
        .doesNotThrowAnyException();
    assertThatCode(
            () ->
                PostgresSource.builder()
                    .jdbcUrl("jdbc:postgresql://db:5432/app?sslmode=require")
                    .user("u")
                    .slotName("s1")
                    .publication("p1")
                    .build())
        .doesNotThrowAnyException();
  }

  @Test
  void aJdbcUrlCarryingAPasswordIsRefusedNamingPasswordAndWithoutShowingIt() {
    for (String url :
        List.of(
            "jdbc:postgresql://db/shop?user=app&password=s3cret",
            "jdbc:postgresql://db/shop?PASSWORD=s3cret&sslmode=require",
            "jdbc:postgresql://app:s3cret@db/shop")) {
      assertThatThrownBy(() -> PostgresSource.builder().jdbcUrl(url))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("password(...)")
          .hasMessageNotContaining("s3cret");
      assertThatThrownBy(
              () ->
                  dev.driftless.postgres.reconcile.PostgresFingerprintReader.builder().jdbcUrl(url))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("password(...)")
          .hasMessageNotContaining("s3cret");
    }
  }

  @Test
  void aJdbcUrlOfAnotherKindIsRefusedWithoutShowingItsCredentials() {
    assertThatThrownBy(() -> PostgresSource.builder().jdbcUrl("postgresql://app:secret@db/shop"))
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
    assertThatThrownBy(() -> valid().database("app?options=-c"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("database");
    assertThatThrownBy(() -> valid().host("evil/x")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void nullsAndRangesAreCheckedAtOnce() {
    assertThatThrownBy(() -> valid().user(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("user");
    assertThatThrownBy(() -> valid().port(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> valid().protocolVersion(5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> valid().statusInterval(Duration.ofMillis(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("statusInterval");
    assertThatThrownBy(() -> valid().reconnectBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> valid().jdbcUrl("jdbc:mysql://x/y"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void crossFieldRulesAreCheckedAtBuild() {
    assertThatThrownBy(
            () -> PostgresSource.builder().user("u").slotName("s").publication("p").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("jdbcUrl");
    assertThatThrownBy(() -> valid().jdbcUrl("jdbc:postgresql://x/y").build())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(
            () ->
                PostgresSource.builder().host("h").database("d").user("u").publication("p").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("slotName");
    assertThatThrownBy(() -> valid().temporarySlot(true).dropSlotOnClose(true).build())
        .isInstanceOf(IllegalStateException.class);
  }
}
