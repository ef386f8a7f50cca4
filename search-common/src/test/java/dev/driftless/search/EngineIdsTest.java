package dev.driftless.search;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The mapping from key ids to {@code _id}: ordinary ids unchanged, the rest encoded, injective. */
class EngineIdsTest {

  private static final String PREFIX = EngineIds.ENCODED_PREFIX;

  @Test
  void ordinaryIdsAreTheirOwnEngineIds() {
    for (String id :
        List.of(
            "a",
            " ",
            "x".repeat(512),
            "ß".repeat(256), // 512 bytes
            "\uD83D\uDE80".repeat(128), // 512 bytes in 256 chars
            "~driftless",
            "driftless:x",
            "x" + PREFIX)) {
      assertThat(EngineIds.isOrdinary(id)).as("%s is ordinary", id).isTrue();
      assertThat(EngineIds.of(id)).isSameAs(id);
    }
  }

  @Test
  void emptyOverlongAndPrefixedIdsAreEncoded() {
    for (String id :
        List.of(
            "",
            "x".repeat(513),
            "ß".repeat(256) + "x",
            "\uD83D\uDE80".repeat(128) + "x",
            "日".repeat(2_500),
            PREFIX,
            PREFIX + "abc",
            EngineIds.of(""))) {
      String encoded = EngineIds.of(id);
      assertThat(EngineIds.isOrdinary(id)).as("%s is ordinary", id).isFalse();
      assertThat(encoded)
          .as("engine id of %s", id)
          .startsWith(PREFIX)
          .hasSize(PREFIX.length() + 43)
          .isNotEqualTo(id)
          .matches("~driftless:[A-Za-z0-9_-]{43}");
      assertThat(encoded.getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(512);
    }
  }

  /** SHA-256 of no bytes is e3b0c442…b855, documented in docs/sinks.md. */
  @Test
  void theEncodingIsTheBase64urlOfTheSha256OfTheUtf8Bytes() {
    assertThat(EngineIds.of("")).isEqualTo(PREFIX + "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    assertThat(EngineIds.of(PREFIX + "abc")).isNotEqualTo(EngineIds.of("abc"));
    assertThat(EngineIds.of("x".repeat(600)))
        .isEqualTo(EngineIds.of(new String("x".repeat(600).toCharArray())));
  }

  @Test
  void distinctIdsNeverShareAnEngineId() {
    List<String> ids = new ArrayList<>();
    String encodedEmpty = EngineIds.of("");
    ids.addAll(List.of("", encodedEmpty, PREFIX, PREFIX + "x", "x", "~driftless"));
    String long1 = "k".repeat(600);
    ids.addAll(List.of(long1, long1 + "a", long1 + "b", EngineIds.of(long1)));
    // A lone surrogate would become '?' in String.getBytes: both must still differ.
    ids.addAll(List.of(long1 + "\uD800", long1 + "?", long1 + "\uDC00", long1 + "\uFFFD"));
    for (int i = 0; i < 1_000; i++) {
      ids.add(Integer.toString(i));
      ids.add("é".repeat(250) + i);
    }
    Set<String> engineIds = new HashSet<>();
    for (String id : ids) {
      assertThat(engineIds.add(EngineIds.of(id))).as("engine id of %s is taken", id).isTrue();
    }
  }
}
