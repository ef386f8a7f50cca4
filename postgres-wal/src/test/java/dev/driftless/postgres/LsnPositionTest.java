package dev.driftless.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class LsnPositionTest {

  @Test
  void lsnTextRoundTrips() {
    assertThat(LsnPosition.parseLsn("0/16B3748")).isEqualTo(0x16B3748L);
    assertThat(LsnPosition.formatLsn(0x1_0000_00FFL)).isEqualTo("1/FF");
    assertThat(LsnPosition.parseLsn(LsnPosition.formatLsn(Long.MAX_VALUE)))
        .isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void positionsRoundTripAndOrderByLsnThenSequence() {
    LsnPosition a = new LsnPosition(0x100, 5);
    assertThat(LsnPosition.parse(a.asString())).isEqualTo(a);
    List<LsnPosition> sorted =
        List.of(
            new LsnPosition(0x100, 0),
            a,
            new LsnPosition(0x101, 0),
            new LsnPosition(0x1_0000_0000L, 0));
    assertThat(sorted).isSorted();
  }

  @Test
  void malformedTextIsRefused() {
    assertThatThrownBy(() -> LsnPosition.parse("0/16"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LsnPosition.parseLsn("xyz"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LsnPosition.parseLsn("1FFFFFFFF/0"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new LsnPosition(-1, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
