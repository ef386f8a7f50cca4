package dev.driftless.search.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NodeUrlTest {

  @Test
  void parsesSchemeHostAndPort() {
    assertThat(NodeUrl.parse("urls", "https://search-1:9201/", 9200, "basicAuth"))
        .isEqualTo(new NodeUrl("https", "search-1", 9201));
    assertThat(NodeUrl.parse("urls", "HTTP://search", 9200, "basicAuth"))
        .isEqualTo(new NodeUrl("http", "search", 9200));
  }

  @Test
  void refusesCredentialsInTheUrlWithoutShowingThem() {
    assertThatThrownBy(
            () -> NodeUrl.parse("urls", "https://app:secret@search:9200", 9200, "basicAuth"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("urls: https://app:***@search:9200 carries credentials")
        .hasMessageContaining("basicAuth")
        .hasMessageNotContaining("secret");
  }

  @Test
  void otherErrorsHideCredentialsToo() {
    for (String url :
        List.of(
            "ftp://app:secret@search",
            "https://app:sec ret@search",
            "https://search:9200/x?token=secret",
            "https://search:9200/?password=secret")) {
      assertThatThrownBy(() -> NodeUrl.parse("urls", url, 9200, "basicAuth"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("urls: ")
          .hasMessageNotContaining("secret")
          .hasMessageNotContaining("sec ret");
    }
  }

  @Test
  void warnsWhenCredentialsGoOverPlainHttp() {
    List<NodeUrl> mixed = List.of(new NodeUrl("http", "a", 9200), new NodeUrl("https", "b", 9200));
    assertThat(NodeUrl.credentialsInClearWarning(mixed, Optional.of("basicAuth")))
        .hasValueSatisfying(
            w -> assertThat(w).startsWith("basicAuth is sent over plain http to [http://a:9200]"));
    assertThat(NodeUrl.credentialsInClearWarning(mixed, Optional.empty())).isEmpty();
    assertThat(
            NodeUrl.credentialsInClearWarning(
                List.of(new NodeUrl("https", "b", 9200)), Optional.of("apiKey")))
        .isEmpty();
  }

  @Test
  void theWarningIsLogged() {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      NodeUrl.warnIfCredentialsInClear(
          List.of(new NodeUrl("http", "search", 9200)), Optional.of("apiKey"));
    } finally {
      System.setErr(original);
    }
    assertThat(captured.toString(StandardCharsets.UTF_8))
        .contains("WARN")
        .contains("apiKey is sent over plain http to [http://search:9200]");
  }
}
