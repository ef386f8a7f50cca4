package dev.driftless.postgres.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.postgres.PostgresDatabase;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class TableMappingTest {

  @Test
  void collectionNamesFollowTheReplicationSource() {
    assertThat(TableMapping.of("public", "orders").collection()).isEqualTo("orders");
    assertThat(TableMapping.of("shop", "orders").collection()).isEqualTo("shop.orders");
  }

  @Test
  void settersCheckTheirArguments() {
    assertThatThrownBy(() -> TableMapping.builder(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("collection");
    TableMapping.Builder b = TableMapping.builder("c");
    assertThatThrownBy(() -> b.keyColumns())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("keyColumns");
    assertThatThrownBy(() -> b.columns("a", "b", "a"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("columns")
        .hasMessageContaining("twice");
    assertThatThrownBy(() -> b.table("public", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("table");
    assertThatThrownBy(() -> b.versionColumn(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("versionColumn");
  }

  @Test
  void buildChecksTheCombination() {
    assertThatThrownBy(() -> TableMapping.builder("c").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("table");
    assertThatThrownBy(
            () -> TableMapping.builder("c").table("s", "t").columns("a").versionColumn("v").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("versionColumn");
    TableMapping m =
        TableMapping.builder("c").table("s", "t").keyColumns("k1", "k2").versionColumn("v").build();
    assertThat(m.keyColumns()).containsExactly("k1", "k2");
    assertThat(m.versionColumn()).contains("v");
    assertThat(m.columns()).isEmpty();
  }

  @Test
  void readerBuilderChecksSettings() {
    assertThatThrownBy(() -> PostgresFingerprintReader.builder().database(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("database");
    assertThatThrownBy(() -> PostgresFingerprintReader.builder().fetchSize(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fetchSize");
    assertThatThrownBy(
            () -> PostgresFingerprintReader.builder().statementTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("statementTimeout");
    assertThatThrownBy(() -> PostgresFingerprintReader.builder().table("public", "t").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("database");
    assertThatThrownBy(
            () ->
                PostgresFingerprintReader.builder()
                    .database(
                        PostgresDatabase.builder()
                            .jdbcUrl("jdbc:postgresql://h/db")
                            .user("u")
                            .build())
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("table");
    assertThatThrownBy(
            () -> PostgresFingerprintReader.builder().table("public", "t").table("public", "t"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("mapped twice");
    PostgresFingerprintReader reader =
        PostgresFingerprintReader.builder()
            .database(
                PostgresDatabase.builder().jdbcUrl("jdbc:postgresql://h/db").user("u").build())
            .table("public", "t")
            .build();
    assertThat(reader.tables()).containsOnlyKeys("t");
    assertThat(reader.bytesRead()).isZero();
    assertThatThrownBy(
            () ->
                reader.list(
                    "other", new dev.driftless.core.spi.FingerprintReader.BucketRange(0, 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("other");
    assertThat(List.of(reader.bucketCount())).containsExactly(1L << 32);
  }
}
