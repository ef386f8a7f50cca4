package dev.driftless.opensearch;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The builder's checks; no server needed. */
class OpenSearchSinkBuilderTest {

  @Test
  void urlsWithCredentialsAreRefusedWithoutEchoingThem() {
    assertThatThrownBy(() -> OpenSearchSink.builder().urls("https://admin:s3cret@search:9200"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("basicAuth")
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void badUrlsAreRefusedWithoutEchoingCredentials() {
    for (String url :
        new String[] {
          "ftp://admin:s3cret@search", "https://admin:s3 cret@search", "http://search/?token=s3cret"
        }) {
      assertThatThrownBy(() -> OpenSearchSink.builder().urls(url))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("urls: ")
          .hasMessageNotContaining("s3cret")
          .hasMessageNotContaining("s3 cret");
    }
  }
}
