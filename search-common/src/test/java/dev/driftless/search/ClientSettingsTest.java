package dev.driftless.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One parsing and one set of rules for both engines' connection settings. */
class ClientSettingsTest {

  @TempDir Path dir;

  @Test
  void aUrlWithoutPortUsesTheSchemesPortAsAnyUrlDoes() {
    // The OpenSearch builder used to take 9200 here, the Elasticsearch builder 443.
    ClientSettings https = ClientSettings.builder().hosts("https://search").build();
    ClientSettings http = ClientSettings.builder().hosts("http://search").build();
    assertThat(https.hosts()).containsExactly(URI.create("https://search:443"));
    assertThat(http.hosts()).containsExactly(URI.create("http://search:80"));
    assertThat(
            ClientSettings.builder()
                .hosts("https://search-1:9200", "https://search-2")
                .build()
                .hosts())
        .containsExactly(URI.create("https://search-1:9200"), URI.create("https://search-2:443"));
  }

  @Test
  void hostsReplacesWhatWasGivenBefore() {
    // The OpenSearch builder's urls(...) used to append.
    ClientSettings settings =
        ClientSettings.builder().hosts("http://a:9200").hosts("http://b:9200").build();
    assertThat(settings.hosts()).containsExactly(URI.create("http://b:9200"));
  }

  @Test
  void mixedSchemesAreRefused() {
    assertThatThrownBy(() -> ClientSettings.builder().hosts("http://a", "https://b").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("hosts mix http and https");
  }

  @Test
  void defaults() {
    ClientSettings settings = ClientSettings.builder().hosts("http://a:9200").build();
    assertThat(settings.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(settings.responseTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(settings.compression()).isFalse();
    assertThat(settings.https()).isFalse();
    assertThat(settings.sslContext()).isEmpty();
    assertThat(settings.verifyHostnames()).isTrue();
    assertThat(settings.username()).isEmpty();
    assertThat(settings.authorizationHeader()).isEmpty();
  }

  @Test
  void apiKeyFromIdAndKeyIsTheBase64OfBoth() {
    ClientSettings settings =
        ClientSettings.builder().hosts("https://a").apiKey("id", "key").build();
    assertThat(settings.authorizationHeader())
        .hasValue("ApiKey " + Base64.getEncoder().encodeToString("id:key".getBytes()));
    assertThat(
            ClientSettings.builder()
                .hosts("https://a")
                .apiKey(" os_token ")
                .build()
                .authorizationHeader())
        .hasValue("ApiKey os_token");
  }

  @Test
  void credentialsNeverShowInToString() {
    ClientSettings settings =
        ClientSettings.builder().hosts("https://a").basicAuth("app", "s3cret").build();
    assertThat(settings.toString()).contains("app").doesNotContain("s3cret");
    assertThat(ClientSettings.builder().hosts("https://a").apiKey("t0ken").build().toString())
        .doesNotContain("t0ken");
  }

  @Test
  void exclusiveSettingsAreRefusedNamingThem() {
    assertThatThrownBy(
            () ->
                ClientSettings.builder().hosts("https://a").basicAuth("u", "p").apiKey("k").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("basicAuth and apiKey");
    assertThatThrownBy(
            () ->
                ClientSettings.builder()
                    .hosts("https://a")
                    .trustCertificates(dir.resolve("ca.pem"))
                    .insecureTrustAllCertificates(true)
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("trustCertificates, insecureTrustAllCertificates are exclusive");
    assertThatThrownBy(
            () ->
                ClientSettings.builder()
                    .hosts("http://a")
                    .trustStore(dir.resolve("t.p12"), new char[0])
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("trustStore is set but no host uses https");
    assertThatThrownBy(() -> ClientSettings.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("hosts");
  }

  @Test
  void unreadableTrustMaterialFailsAtBuildNamingTheSetting() throws Exception {
    Path notPem = Files.writeString(dir.resolve("ca.pem"), "not a certificate");
    assertThatThrownBy(
            () -> ClientSettings.builder().hosts("https://a").trustCertificates(notPem).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("trustCertificates:");
    assertThatThrownBy(
            () ->
                ClientSettings.builder()
                    .hosts("https://a")
                    .trustStore(dir.resolve("missing.p12"), "changeit".toCharArray())
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("trustStore:");
  }

  @Test
  void insecureTrustAllTurnsOffHostNameChecks() {
    ClientSettings settings =
        ClientSettings.builder().hosts("https://a").insecureTrustAllCertificates(true).build();
    assertThat(settings.sslContext()).isPresent();
    assertThat(settings.verifyHostnames()).isFalse();
  }

  @Test
  void settersCheckTheirArguments() {
    ClientSettings.Builder b = ClientSettings.builder();
    assertThatThrownBy(() -> b.responseTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("responseTimeout");
    assertThatThrownBy(() -> b.connectTimeout(Duration.ofDays(30)))
        .hasMessageContaining("connectTimeout");
    assertThatThrownBy(() -> b.hosts(new String[0])).hasMessageContaining("hosts");
    assertThatThrownBy(() -> b.apiKey(" ")).hasMessageContaining("apiKey");
    assertThatThrownBy(() -> b.basicAuth("", "x")).hasMessageContaining("basicAuth");
    assertThatThrownBy(() -> b.hosts("https://u:p@a")).hasMessageContaining("basicAuth or apiKey");
  }
}
