package dev.driftless.postgres.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which URLs name several hosts: those get {@code targetServerType=primary} (issue 15 §3). */
class SourceConnectionsTest {

  @Test
  void aUrlWithSeveralHostsIsMultiHost() {
    assertThat(SourceConnections.multiHost("jdbc:postgresql://a:5432,b:5432/shop")).isTrue();
    assertThat(SourceConnections.multiHost("jdbc:postgresql://a,b,c/shop?sslmode=require"))
        .isTrue();
    assertThat(SourceConnections.multiHost("jdbc:postgresql://a:5432,b:5432")).isTrue();
  }

  @Test
  void aUrlWithOneHostIsNot() {
    assertThat(SourceConnections.multiHost("jdbc:postgresql://a:5432/shop")).isFalse();
    assertThat(SourceConnections.multiHost("jdbc:postgresql://a/shop?options=-c%20x=1,2"))
        .isFalse();
    assertThat(SourceConnections.multiHost("jdbc:postgresql:shop")).isFalse();
  }
}
