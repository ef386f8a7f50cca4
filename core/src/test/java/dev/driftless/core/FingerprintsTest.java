package dev.driftless.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class FingerprintsTest {

  /** What PostgreSQL's ('x' || substr(md5(s), 1, 16))::bit(64)::bigint gives. */
  static long sqlHash(String s) throws Exception {
    String hex =
        HexFormat.of()
            .formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
    return Long.parseUnsignedLong(hex.substring(0, 16), 16);
  }

  @Test
  void rowFingerprintHashesALengthPrefixedRendering() throws Exception {
    assertThat(Fingerprints.row(Arrays.asList("1", null, "h\u00e9llo", "\uD83D\uDE00")))
        .isEqualTo(sqlHash("1:1,~,6:h\u00e9llo,4:\uD83D\uDE00"));
    // Ambiguous without the length prefix: ("a,b") vs ("a","b"); NULL vs the text "~".
    assertThat(Fingerprints.row(List.of("a,b"))).isNotEqualTo(Fingerprints.row(List.of("a", "b")));
    assertThat(Fingerprints.row(Arrays.asList((String) null)))
        .isNotEqualTo(Fingerprints.row(List.of("~")));
  }

  @Test
  void bucketsAndPartsMatchTheirDefinitions() throws Exception {
    long hash = Fingerprints.keyHash("user/42");
    assertThat(hash).isEqualTo(sqlHash("user/42"));
    assertThat(Fingerprints.bucket("user/42"))
        .isEqualTo(hash >>> 32)
        .isBetween(0L, Fingerprints.BUCKET_COUNT - 1);
    long f = Fingerprints.perKey("user/42", 0x1234_5678_9ABC_DEF0L);
    assertThat(Fingerprints.join(Fingerprints.low(f), Fingerprints.mid(f), Fingerprints.high(f)))
        .isEqualTo(f);
    assertThat(Fingerprints.high(-1L)).isEqualTo((1L << 22) - 1);
    assertThat(Fingerprints.boundary(0, Fingerprints.BUCKET_COUNT, 64, 64))
        .isEqualTo(Fingerprints.BUCKET_COUNT);
    assertThat(Fingerprints.boundary(10, 13, 4, 1)).isEqualTo(10);
  }

  @Test
  void keyHashIsTheFirstEightBytesOfMd5() {
    // MD5("abc") = 900150983cd24fb0 d6963f7d28e17f72
    assertThat(Fingerprints.keyHash("abc")).isEqualTo(0x900150983cd24fb0L);
    assertThat(Fingerprints.bucket("abc")).isEqualTo(0x90015098L);
  }

  @Test
  void partsAreTwentyOneBitsAndJoinBack() {
    java.util.Random r = new java.util.Random(1);
    for (int i = 0; i < 10_000; i++) {
      long f = r.nextLong();
      assertThat(Fingerprints.low(f)).isBetween(0L, (1L << 21) - 1);
      assertThat(Fingerprints.mid(f)).isBetween(0L, (1L << 21) - 1);
      assertThat(Fingerprints.high(f)).isBetween(0L, (1L << 22) - 1);
      assertThat(Fingerprints.join(Fingerprints.low(f), Fingerprints.mid(f), Fingerprints.high(f)))
          .isEqualTo(f);
    }
  }

  @Test
  void splitsCoverTheRangeWithoutGapsOrOverlap() {
    long from = 5;
    long to = Fingerprints.BUCKET_COUNT;
    long previous = from;
    for (int i = 1; i <= 7; i++) {
      long boundary = Fingerprints.boundary(from, to, 7, i);
      assertThat(boundary).isGreaterThanOrEqualTo(previous);
      previous = boundary;
    }
    assertThat(previous).isEqualTo(to);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Fingerprints.boundary(0, 10, 0, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("splits");
  }
}
