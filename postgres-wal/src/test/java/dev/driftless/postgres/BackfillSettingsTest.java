package dev.driftless.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Validation of the backfill settings and of their combination with the source's tables. */
class BackfillSettingsTest {

  @Test
  void defaultsAndQualifiedNames() {
    BackfillSettings s = BackfillSettings.builder().tables(List.of("orders", "shop.c")).build();
    assertThat(s.tables()).containsExactly("public.orders", "shop.c");
    assertThat(s.chunkRows()).isEqualTo(1000);
    assertThat(s.rowsPerSecond()).isZero();
  }

  @Test
  void eachSetterChecksItsArgument() {
    BackfillSettings.Builder b = BackfillSettings.builder();
    assertThatThrownBy(() -> b.tables(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> b.chunkRows(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("chunkRows");
    assertThatThrownBy(() -> b.chunkRows(100_001)).hasMessageContaining("chunkRows");
    assertThatThrownBy(() -> b.rowsPerSecond(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rowsPerSecond");
    // No tables: every table the source replicates.
    assertThat(b.build().tables()).isEmpty();
  }

  @Test
  void aBackfillTableMustBeReplicated() {
    PostgresSourceBuilder source =
        PostgresSource.builder()
            .database(
                PostgresDatabase.builder()
                    .jdbcUrl("jdbc:postgresql://localhost/db")
                    .user("u")
                    .build())
            .slotName("s")
            .publication("p")
            .tables(List.of("orders"))
            .backfill(BackfillSettings.builder().tables(List.of("customers")).build());
    assertThatThrownBy(source::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("backfill table public.customers");
    assertThatThrownBy(() -> PostgresSource.builder().backfill(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("backfill");
  }
}
