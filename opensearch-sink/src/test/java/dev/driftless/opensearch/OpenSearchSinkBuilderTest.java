package dev.driftless.opensearch;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.search.IndexRouting;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The builder's checks; no server needed. */
class OpenSearchSinkBuilderTest {

  @Test
  void urlsWithCredentialsAreRefusedWithoutEchoingThem() {
    assertThatThrownBy(() -> OpenSearchSink.builder().hosts("https://admin:s3cret@search:9200"))
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
      assertThatThrownBy(() -> OpenSearchSink.builder().hosts(url))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("hosts: ")
          .hasMessageNotContaining("s3cret")
          .hasMessageNotContaining("s3 cret");
    }
  }

  @TempDir Path dir;

  @Test
  void mixedSchemesAreRefused() {
    assertThatThrownBy(
            () -> OpenSearchSink.builder().hosts("http://a:9200", "https://b:9200").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("mix http and https");
  }

  @Test
  void unreadablePemTrustFailsAtBuildNamingTheSetting() throws Exception {
    Path notPem = Files.writeString(dir.resolve("ca.pem"), "not a certificate");
    assertThatThrownBy(
            () ->
                OpenSearchSink.builder()
                    .hosts("https://127.0.0.1:9200")
                    .trustCertificates(notPem)
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("trustCertificates:");
  }

  @Test
  void twoCollectionsRoutedToOneIndexAreRefusedAtBuild() {
    assertThatThrownBy(
            () ->
                OpenSearchSink.builder()
                    .hosts("http://127.0.0.1:9200")
                    .routing(IndexRouting.of(collection -> "shared"))
                    .collections("orders", "customers")
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'orders' and 'customers' go to the same index [shared]");
  }

  @Test
  void buildsAClientWithEverySharedSetting() throws Exception {
    OpenSearchSink sink =
        OpenSearchSink.builder()
            .hosts("https://127.0.0.1:9200")
            .apiKey("id", "key")
            .insecureTrustAllCertificates(true)
            .compression(true)
            .connectTimeout(java.time.Duration.ofSeconds(2))
            .responseTimeout(java.time.Duration.ofSeconds(30))
            .build();
    sink.close();
    sink.close();
  }
}
