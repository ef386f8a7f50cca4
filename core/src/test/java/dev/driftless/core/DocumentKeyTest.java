package dev.driftless.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every key a database accepts is a {@link DocumentKey}, and composite ids stay unambiguous. */
class DocumentKeyTest {

  @Test
  void anEmptyIdIsAKey() {
    DocumentKey empty = DocumentKey.of("t", "");

    assertThat(empty.id()).isEmpty();
    assertThat(empty.parts(1)).containsExactly("");
    assertThat(empty.parts(2)).as("an empty id is one part, not two").hasSize(1);
    assertThat(empty).isNotEqualTo(DocumentKey.of("t", " "));
    assertThat(empty.compareTo(DocumentKey.of("t", "a"))).isNegative();
    assertThat(empty).hasToString("t/");
  }

  @Test
  void compositesMayHaveEmptyParts() {
    assertThat(DocumentKey.composite("t", List.of("")).id()).isEmpty();
    assertThat(DocumentKey.composite("t", List.of("", "")).id()).isEqualTo(",");
    assertThat(DocumentKey.composite("t", List.of("a", "")).id()).isEqualTo("a,");
    assertThat(DocumentKey.composite("t", List.of("", "a")).id()).isEqualTo(",a");
    assertThat(DocumentKey.composite("t", List.of("", "", "")).id()).isEqualTo(",,");
  }

  @Test
  void partsRoundTripForEveryShapeOfPart() {
    List<String> pieces = List.of("", ",", "\\", "a", "\\,", ",\\", "a,b", "日本");
    Set<String> ids = new HashSet<>();
    int lists = 0;
    for (String first : pieces) {
      for (String second : pieces) {
        for (String third : List.of("", "x\\")) {
          List<String> parts = List.of(first, second, third);
          DocumentKey key = DocumentKey.composite("t", parts);
          assertThat(key.parts(3)).as("parts of %s", key.id()).isEqualTo(parts);
          ids.add(key.id());
          lists++;
        }
        List<String> pair = List.of(first, second);
        DocumentKey key = DocumentKey.composite("t", pair);
        assertThat(key.parts(2)).as("parts of %s", key.id()).isEqualTo(pair);
      }
    }
    assertThat(ids).as("distinct part lists give distinct ids").hasSize(lists);
  }

  @Test
  void idsHaveNoLengthLimit() {
    String id = "ß".repeat(2_500);
    List<String> parts = new ArrayList<>(List.of(id, ""));

    assertThat(DocumentKey.of("t", id).id()).hasSize(2_500);
    assertThat(DocumentKey.composite("t", parts).parts(2)).isEqualTo(parts);
  }
}
