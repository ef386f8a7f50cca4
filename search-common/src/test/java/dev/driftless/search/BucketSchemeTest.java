package dev.driftless.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BucketSchemeTest {

  @Test
  void keyHashIsTheFirstEightBytesOfMd5() {
    // MD5("abc") = 900150983cd24fb0 d6963f7d28e17f72
    assertThat(BucketScheme.keyHash("abc")).isEqualTo(0x900150983cd24fb0L);
    assertThat(BucketScheme.bucket("abc")).isEqualTo(0x90015098L);
    assertThat(BucketScheme.bucket("é")).isBetween(0L, BucketScheme.BUCKET_COUNT - 1);
  }

  @Test
  void partsAreTwentyOneBitsAndJoinBack() {
    Random r = new Random(1);
    for (int i = 0; i < 10_000; i++) {
      long f = r.nextLong();
      assertThat(BucketScheme.low(f)).isBetween(0L, (1L << 21) - 1);
      assertThat(BucketScheme.mid(f)).isBetween(0L, (1L << 21) - 1);
      assertThat(BucketScheme.high(f)).isBetween(0L, (1L << 22) - 1);
      assertThat(BucketScheme.join(BucketScheme.low(f), BucketScheme.mid(f), BucketScheme.high(f)))
          .isEqualTo(f);
    }
  }

  @Test
  void splitsCoverTheRangeWithoutGapsOrOverlap() {
    long from = 5;
    long to = BucketScheme.BUCKET_COUNT;
    long expectedStart = from;
    for (int i = 0; i < 7; i++) {
      long[] sub = BucketScheme.split(from, to, 7, i);
      assertThat(sub[0]).isEqualTo(expectedStart);
      assertThat(sub[1]).isGreaterThanOrEqualTo(sub[0]);
      expectedStart = sub[1];
    }
    assertThat(expectedStart).isEqualTo(to);
    assertThatThrownBy(() -> BucketScheme.split(0, 10, 0, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("splits");
  }
}
