package dev.driftless.postgres.internal.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.Fingerprints;
import dev.driftless.postgres.reconcile.PostgresFingerprintReader;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FingerprintSqlTest {

  @Test
  void subRangeFormulaPlacesEveryBucketBetweenItsBoundaries() {
    Random random = new Random(42);
    long[][] ranges = {
      {0, 1L << 32}, {0, 5}, {7, 8}, {100, 113}, {(1L << 32) - 3, 1L << 32}, {12345, 999_999}
    };
    int[] splitCounts = {1, 2, 3, 7, 16, 64, 1000, 1024, PostgresFingerprintReader.MAX_SPLITS};
    for (long[] r : ranges) {
      for (int splits : splitCounts) {
        long width = r[1] - r[0];
        for (int t = 0; t < 200; t++) {
          long b = t < 3 ? r[0] + t % width : r[0] + (long) (random.nextDouble() * width);
          if (t == 3) {
            b = r[1] - 1;
          }
          int i = (int) FingerprintSql.subRangeOf(b, r[0], r[1], splits);
          assertThat(i).isBetween(0, splits - 1);
          assertThat(Fingerprints.boundary(r[0], r[1], splits, i)).isLessThanOrEqualTo(b);
          assertThat(Fingerprints.boundary(r[0], r[1], splits, i + 1)).isGreaterThan(b);
        }
      }
    }
  }

  @Test
  void identifiersAreQuotedSoConfigurationCannotInjectSql() {
    assertThat(FingerprintSql.quote("orders")).isEqualTo("\"orders\"");
    assertThat(FingerprintSql.quote("x\"; DROP TABLE t; --"))
        .isEqualTo("\"x\"\"; DROP TABLE t; --\"");
    String sql =
        FingerprintSql.list(
            new FingerprintSql.Query(
                "s\"",
                "t\"; DROP TABLE x; --",
                List.of("id"),
                List.of("bigint"),
                List.of("a\""),
                Set.of(),
                false),
            List.of(new dev.driftless.core.spi.FingerprintReader.BucketRange(0, 10)));
    assertThat(sql).contains("\"s\"\"\".\"t\"\"; DROP TABLE x; --\"").contains("\"a\"\"\"");
  }

  @Test
  void identifierChecksNameTheSetting() {
    assertThatThrownBy(() -> FingerprintSql.checkIdentifier("table", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("table");
    assertThatThrownBy(() -> FingerprintSql.checkIdentifier("schema", ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("schema");
    assertThatThrownBy(() -> FingerprintSql.checkIdentifier("columns[2]", "a\0b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("columns[2]");
    String sixtyFourBytes = "é".repeat(32);
    assertThatThrownBy(() -> FingerprintSql.checkIdentifier("versionColumn", sixtyFourBytes))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("versionColumn")
        .hasMessageContaining("63 bytes");
    FingerprintSql.checkIdentifier("table", "é".repeat(31) + "x");
  }

  @Test
  void compositeKeysEscapeWithEStringsAndJoinWithCommas() {
    String sql = FingerprintSql.keyId(List.of("a", "b"), Set.of("a"));
    assertThat(sql)
        .contains("replace(replace(")
        .contains("E'\\\\', E'\\\\\\\\'")
        .contains("',', E'\\\\,'")
        .contains(" || ',' || ");
    assertThat(sql).contains("\"a\"::text").contains("format('%s', \"b\")");
    assertThat(FingerprintSql.keyId(List.of("a"), Set.of())).doesNotContain("replace");
  }
}
