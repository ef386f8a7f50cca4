package dev.driftless.search.internal;

import dev.driftless.core.internal.Redaction;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A search node's address as the sinks' builders accept it: {@code http} or {@code https}, a host,
 * and a port; no path, query or credentials. Errors show the URL with its credentials hidden.
 *
 * @param scheme {@code http} or {@code https}
 * @param host the host name or address
 * @param port the port, or {@code -1} for the scheme's default when no default was given
 */
public record NodeUrl(String scheme, String host, int port) {
  private static final Logger LOG = LoggerFactory.getLogger(NodeUrl.class);

  public NodeUrl {
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(host, "host");
  }

  /**
   * Parses one URL given to the builder setting {@code setting}.
   *
   * @param defaultPort the port when the URL has none ({@code -1}: the scheme's)
   * @param credentialSettings the builder's settings for credentials, named when a URL carries some
   *     (e.g. {@code "basicAuth or apiKey"})
   * @throws IllegalArgumentException naming the setting and showing the URL without credentials, if
   *     it is not {@code scheme://host[:port][/]}; credentials in it are refused with a pointer to
   *     the builder's authentication settings
   */
  public static NodeUrl parse(
      String setting, String url, int defaultPort, String credentialSettings) {
    Objects.requireNonNull(url, setting + ": a URL is null");
    String shown = Redaction.redact(url);
    URI uri;
    try {
      uri = new URI(url.strip());
    } catch (URISyntaxException e) {
      // The exception's own message repeats the URL: leave it out.
      throw new IllegalArgumentException(setting + ": not a URL: " + shown);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException(
          setting + ": " + shown + " must start with http:// or https://");
    }
    if (uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException(
          setting
              + ": "
              + shown
              + " carries credentials; give them with "
              + credentialSettings
              + " instead, so that they never appear in a URL");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException(setting + ": " + shown + " has no host");
    }
    String path = uri.getRawPath();
    if ((path != null && !path.isEmpty() && !path.equals("/"))
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null) {
      throw new IllegalArgumentException(
          setting + ": " + shown + " must be scheme://host:port only (no path, query or fragment)");
    }
    return new NodeUrl(scheme, uri.getHost(), uri.getPort() == -1 ? defaultPort : uri.getPort());
  }

  /** Whether this node is reached over plain {@code http}. */
  public boolean plainHttp() {
    return scheme.equals("http");
  }

  @Override
  public String toString() {
    return scheme + "://" + host + (port == -1 ? "" : ":" + port);
  }

  /**
   * The warning a builder logs when it sends credentials ({@code credentials}: the setting that
   * holds them, e.g. {@code basicAuth}) to nodes over plain {@code http}, where anyone on the
   * network path can read them; empty when no credentials or every node uses https.
   */
  public static Optional<String> credentialsInClearWarning(
      List<NodeUrl> nodes, Optional<String> credentials) {
    List<NodeUrl> plain = nodes.stream().filter(NodeUrl::plainHttp).collect(Collectors.toList());
    if (credentials.isEmpty() || plain.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        credentials.get()
            + " is sent over plain http to "
            + plain
            + ": anyone on the network path can read it; use https urls");
  }

  /** Logs {@link #credentialsInClearWarning} once, as a warning, if there is one. */
  public static void warnIfCredentialsInClear(List<NodeUrl> nodes, Optional<String> credentials) {
    credentialsInClearWarning(nodes, credentials).ifPresent(LOG::warn);
  }
}
