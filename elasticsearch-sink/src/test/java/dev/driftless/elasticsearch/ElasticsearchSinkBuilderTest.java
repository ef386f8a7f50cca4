package dev.driftless.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.http.HttpHost;
import org.elasticsearch.client.RestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Invalid configuration fails at once or at build(), naming the setting. */
class ElasticsearchSinkBuilderTest {

  @TempDir Path dir;

  @Test
  void requiresClientOrHosts() {
    assertThatThrownBy(() -> ElasticsearchSink.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("client(...) or hosts(...)");
  }

  @Test
  void clientAndHostsAreExclusive() throws Exception {
    try (RestClient client = RestClient.builder(new HttpHost("127.0.0.1", 9)).build()) {
      assertThatThrownBy(
              () ->
                  ElasticsearchSink.builder().client(client).hosts("http://127.0.0.1:9200").build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("client and hosts");
    }
  }

  @Test
  void connectionSettingsDoNotApplyToAGivenClient() throws Exception {
    try (RestClient client = RestClient.builder(new HttpHost("127.0.0.1", 9)).build()) {
      assertThatThrownBy(
              () ->
                  ElasticsearchSink.builder()
                      .client(client)
                      .basicAuth("elastic", "secret")
                      .responseTimeout(Duration.ofSeconds(5))
                      .build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("basicAuth, responseTimeout");
    }
  }

  @Test
  void hostsMustBePlainHttpUrls() {
    ElasticsearchSink.Builder builder = ElasticsearchSink.builder();
    assertThatThrownBy(() -> builder.hosts("localhost:9200"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("hosts");
    assertThatThrownBy(() -> builder.hosts("ftp://localhost:9200"))
        .hasMessageContaining("http:// or https://");
    assertThatThrownBy(() -> builder.hosts("http://localhost:9200/prefix"))
        .hasMessageContaining("no path");
    assertThatThrownBy(() -> builder.hosts("http://elastic:secret@localhost:9200"))
        .hasMessageContaining("basicAuth or apiKey")
        .hasMessageNotContaining("secret");
    assertThatThrownBy(() -> builder.hosts(new String[0]))
        .hasMessageContaining("hosts must not be empty");
  }

  @Test
  void errorsAboutAUrlNeverEchoItsCredentials() {
    ElasticsearchSink.Builder builder = ElasticsearchSink.builder();
    for (String url :
        new String[] {
          "ftp://elastic:secret@localhost:9200",
          "http://elastic:secret@localhost:9200/prefix",
          "http://elastic:sec ret@localhost:9200",
          "http://localhost:9200/?api_key=secret"
        }) {
      assertThatThrownBy(() -> builder.hosts(url))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("hosts: ")
          .hasMessageNotContaining("secret")
          .hasMessageNotContaining("sec ret")
          .hasNoCause();
    }
  }

  @Test
  void mixedSchemesAreRefused() {
    assertThatThrownBy(
            () -> ElasticsearchSink.builder().hosts("http://a:9200", "https://b:9200").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("mix http and https");
  }

  @Test
  void basicAuthAndApiKeyAreExclusive() {
    assertThatThrownBy(
            () ->
                ElasticsearchSink.builder()
                    .hosts("http://127.0.0.1:9200")
                    .basicAuth("elastic", "secret")
                    .apiKey("aWQ6a2V5")
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("basicAuth and apiKey");
  }

  @Test
  void trustSettingsNeedHttpsAndAreExclusive() {
    assertThatThrownBy(
            () ->
                ElasticsearchSink.builder()
                    .hosts("http://127.0.0.1:9200")
                    .insecureTrustAllCertificates(true)
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("insecureTrustAllCertificates is set but no host uses https");
    assertThatThrownBy(
            () ->
                ElasticsearchSink.builder()
                    .hosts("https://127.0.0.1:9200")
                    .insecureTrustAllCertificates(true)
                    .trustCertificates(dir.resolve("ca.crt"))
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("exclusive");
  }

  @Test
  void unreadableTrustMaterialFailsAtBuildNamingTheSetting() throws Exception {
    Path notPem = Files.writeString(dir.resolve("ca.crt"), "not a certificate");
    assertThatThrownBy(
            () ->
                ElasticsearchSink.builder()
                    .hosts("https://127.0.0.1:9200")
                    .trustCertificates(notPem)
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("trustCertificates:");
    assertThatThrownBy(
            () ->
                ElasticsearchSink.builder()
                    .hosts("https://127.0.0.1:9200")
                    .trustStore(dir.resolve("missing.p12"), "changeit".toCharArray())
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("trustStore:");
  }

  @Test
  void settersCheckTheirArguments() {
    ElasticsearchSink.Builder builder = ElasticsearchSink.builder();
    assertThatThrownBy(() -> builder.responseTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("responseTimeout");
    assertThatThrownBy(() -> builder.connectTimeout(Duration.ofSeconds(-1)))
        .hasMessageContaining("connectTimeout");
    assertThatThrownBy(() -> builder.apiKey(" ")).hasMessageContaining("apiKey");
    assertThatThrownBy(() -> builder.basicAuth("", "x")).hasMessageContaining("username");
  }

  @Test
  void buildsAnInsecureHttpsClientForTests() {
    ElasticsearchSink sink =
        ElasticsearchSink.builder()
            .hosts("https://127.0.0.1:9200")
            .apiKey("id", "key")
            .insecureTrustAllCertificates(true)
            .compression(true)
            .build();
    assertThat(sink.serverVersion()).isEmpty();
    sink.close();
    sink.close();
  }
}
