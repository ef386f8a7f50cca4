package dev.driftless.dynamodb.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SequenceNumberTest {

  @Test
  void comparesNumericallyAcrossLengths() {
    SequenceNumber shorter = SequenceNumber.of("300000000000000499659"); // 21 digits
    SequenceNumber longer = SequenceNumber.of("21258800000000008186106757"); // 26 digits
    assertThat("300000000000000499659".compareTo("21258800000000008186106757"))
        .as("as text the shorter one sorts after")
        .isPositive();
    assertThat(longer.isAfter(shorter)).isTrue();
    assertThat(shorter.compareTo(longer)).isNegative();
  }

  @Test
  void fortyDigitsExceedALongAndStillCompare() {
    SequenceNumber a = SequenceNumber.of("9999999999999999999999999999999999999998");
    SequenceNumber b = SequenceNumber.of("9999999999999999999999999999999999999999");
    assertThat(b.isAfter(a)).isTrue();
    assertThat(SequenceNumber.of("0010")).isEqualTo(SequenceNumber.of("10"));
  }

  @Test
  void refusesAnythingButDigits() {
    assertThatThrownBy(() -> SequenceNumber.of("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SequenceNumber.of("12a")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SequenceNumber.of("-12")).isInstanceOf(IllegalArgumentException.class);
  }
}
