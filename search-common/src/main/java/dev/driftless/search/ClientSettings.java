package dev.driftless.search;

import dev.driftless.search.internal.NodeUrl;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.jspecify.annotations.Nullable;

/**
 * How a sink reaches its engine when it builds the HTTP client itself: nodes, authentication,
 * trust, timeouts and compression. One model for both engines: the OpenSearch and Elasticsearch
 * builders take the same settings with the same names and parsing, and only translate the built
 * object for their client. Immutable; built with {@link #builder()}, whose setters check their
 * argument at once and whose {@link Builder#build()} checks how settings combine and loads trust
 * material, naming the setting at fault.
 */
public final class ClientSettings {

  /** 5 s. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** 60 s: a bulk request to a busy cluster may take long to answer. */
  public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(60);

  private final List<NodeUrl> hosts;
  private final @Nullable String username;
  private final @Nullable String password;
  private final @Nullable String apiKey;
  private final @Nullable SSLContext sslContext;
  private final boolean verifyHostnames;
  private final Duration connectTimeout;
  private final Duration responseTimeout;
  private final boolean compression;

  private ClientSettings(Builder b, @Nullable SSLContext sslContext) {
    this.hosts = List.copyOf(b.hosts);
    this.username = b.username;
    this.password = b.password;
    this.apiKey = b.apiKey;
    this.sslContext = sslContext;
    this.verifyHostnames = !b.insecureTrustAll;
    this.connectTimeout = b.connectTimeout != null ? b.connectTimeout : DEFAULT_CONNECT_TIMEOUT;
    this.responseTimeout = b.responseTimeout != null ? b.responseTimeout : DEFAULT_RESPONSE_TIMEOUT;
    this.compression = Boolean.TRUE.equals(b.compression);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The nodes as {@code scheme://host:port} (the scheme's port filled in when none was given), all
   * {@code http} or all {@code https}; never empty.
   */
  public List<URI> hosts() {
    List<URI> uris = new ArrayList<>(hosts.size());
    for (NodeUrl node : hosts) {
      uris.add(URI.create(node.toString()));
    }
    return List.copyOf(uris);
  }

  /** Whether the nodes are reached over {@code https}. */
  public boolean https() {
    return !hosts.get(0).plainHttp();
  }

  /** The basic-authentication user name, if {@link Builder#basicAuth} was given. */
  public Optional<String> username() {
    return Optional.ofNullable(username);
  }

  /** The basic-authentication password, if {@link Builder#basicAuth} was given. */
  public Optional<String> password() {
    return Optional.ofNullable(password);
  }

  /**
   * The value of the {@code Authorization} header for API-key authentication ({@code ApiKey
   * <encoded>}), if {@link Builder#apiKey} was given.
   */
  public Optional<String> authorizationHeader() {
    return Optional.ofNullable(apiKey).map(key -> "ApiKey " + key);
  }

  /**
   * For {@code https} nodes, the TLS context built from the trust setting ({@link
   * Builder#trustStore}, {@link Builder#trustCertificates} or {@link
   * Builder#insecureTrustAllCertificates}); empty for the JVM's default trust or plain {@code
   * http}.
   */
  public Optional<SSLContext> sslContext() {
    return Optional.ofNullable(sslContext);
  }

  /**
   * Whether the client must check that the server's certificate names the host; false only with
   * {@link Builder#insecureTrustAllCertificates}.
   */
  public boolean verifyHostnames() {
    return verifyHostnames;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public Duration responseTimeout() {
    return responseTimeout;
  }

  /** Whether request bodies are sent gzip-compressed. */
  public boolean compression() {
    return compression;
  }

  @Override
  public String toString() {
    return "ClientSettings[hosts="
        + hosts
        + (username != null ? ", basicAuth=" + username + ":***" : "")
        + (apiKey != null ? ", apiKey=***" : "")
        + (sslContext != null ? ", customTrust" : "")
        + (verifyHostnames ? "" : ", insecureTrustAllCertificates")
        + ", connectTimeout="
        + connectTimeout
        + ", responseTimeout="
        + responseTimeout
        + ", compression="
        + compression
        + "]";
  }

  /** Builds {@link ClientSettings}. Not thread-safe. */
  public static final class Builder {
    private final List<NodeUrl> hosts = new ArrayList<>();
    private @Nullable String username;
    private @Nullable String password;
    private @Nullable String apiKey;
    private @Nullable Path trustStore;
    private char @Nullable [] trustStorePassword;
    private @Nullable Path trustCertificates;
    private boolean insecureTrustAll;
    private @Nullable Duration connectTimeout;
    private @Nullable Duration responseTimeout;
    private @Nullable Boolean compression;

    private Builder() {}

    /**
     * The nodes to talk to, replacing any given before, as URLs such as {@code
     * https://search-1:9200}: scheme {@code http} or {@code https}, a host, and a port (the
     * scheme's, 80 or 443, when absent, as for any URL: managed services listen there); no path,
     * query or credentials (give those with {@link #basicAuth} or {@link #apiKey}).
     *
     * @throws IllegalArgumentException naming the first URL (its credentials hidden) that is not
     *     one, or if there is none
     */
    public Builder hosts(String... urls) {
      Objects.requireNonNull(urls, "urls");
      return hosts(Arrays.asList(urls));
    }

    /** {@link #hosts(String...)} from a collection. */
    public Builder hosts(Collection<String> urls) {
      Objects.requireNonNull(urls, "urls");
      if (urls.isEmpty()) {
        throw new IllegalArgumentException("hosts must not be empty");
      }
      List<NodeUrl> parsed = new ArrayList<>(urls.size());
      for (String url : urls) {
        NodeUrl node = NodeUrl.parse("hosts", url, -1, "basicAuth or apiKey");
        parsed.add(
            node.port() != -1
                ? node
                : new NodeUrl(node.scheme(), node.host(), node.plainHttp() ? 80 : 443));
      }
      hosts.clear();
      hosts.addAll(parsed);
      return this;
    }

    /**
     * HTTP basic authentication. Over plain {@code http} the credentials travel readable: {@link
     * #build()} logs a warning then.
     */
    public Builder basicAuth(String username, String password) {
      Objects.requireNonNull(username, "username");
      Objects.requireNonNull(password, "password");
      if (username.isEmpty()) {
        throw new IllegalArgumentException("basicAuth: username must not be empty");
      }
      this.username = username;
      this.password = password;
      return this;
    }

    /**
     * API-key authentication, sent as {@code Authorization: ApiKey <encoded>}: the {@code encoded}
     * value Elasticsearch returns when a key is created (Base64 of {@code id:api_key}), or an
     * OpenSearch (3.7 and later) API key token.
     */
    public Builder apiKey(String encoded) {
      Objects.requireNonNull(encoded, "encoded");
      if (encoded.isBlank()) {
        throw new IllegalArgumentException("apiKey must not be blank");
      }
      this.apiKey = encoded.strip();
      return this;
    }

    /** Elasticsearch API-key authentication from the key's {@code id} and {@code api_key}. */
    public Builder apiKey(String id, String key) {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(key, "key");
      if (id.isEmpty() || key.isEmpty()) {
        throw new IllegalArgumentException("apiKey: id and key must not be empty");
      }
      this.apiKey =
          Base64.getEncoder().encodeToString((id + ":" + key).getBytes(StandardCharsets.UTF_8));
      return this;
    }

    /**
     * Trusts the certificates of a trust store file (PKCS#12 or JKS, told apart by content) for
     * {@code https} nodes, instead of the JVM's default trust. Read at {@link #build()}.
     */
    public Builder trustStore(Path path, char[] password) {
      this.trustStore = Objects.requireNonNull(path, "path");
      this.trustStorePassword = Objects.requireNonNull(password, "password").clone();
      return this;
    }

    /**
     * Trusts the PEM certificates of a file (such as Elasticsearch's {@code http_ca.crt} or an
     * OpenSearch {@code root-ca.pem}) for {@code https} nodes, instead of the JVM's default trust.
     * Read at {@link #build()}.
     */
    public Builder trustCertificates(Path pemFile) {
      this.trustCertificates = Objects.requireNonNull(pemFile, "pemFile");
      return this;
    }

    /**
     * Trusts any certificate and any host name. For tests against throw-away clusters only: it
     * makes TLS worthless against an active attacker. Default false.
     */
    public Builder insecureTrustAllCertificates(boolean enabled) {
      this.insecureTrustAll = enabled;
      return this;
    }

    /** How long to wait for a connection; positive, under 24 days; default 5 s. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * How long to wait for the answer on an open connection; positive, under 24 days; default 60 s,
     * since a bulk request to a busy cluster may take long to answer.
     */
    public Builder responseTimeout(Duration timeout) {
      this.responseTimeout = positive(timeout, "responseTimeout");
      return this;
    }

    /** Whether request bodies are sent gzip-compressed; default false. */
    public Builder compression(boolean enabled) {
      this.compression = enabled;
      return this;
    }

    /**
     * The names of the settings given so far, in setter order of this class; a sink builder handed
     * the user's own client refuses them.
     */
    List<String> settingsGiven() {
      List<String> given = new ArrayList<>();
      if (!hosts.isEmpty()) {
        given.add("hosts");
      }
      if (username != null) {
        given.add("basicAuth");
      }
      if (apiKey != null) {
        given.add("apiKey");
      }
      if (trustStore != null) {
        given.add("trustStore");
      }
      if (trustCertificates != null) {
        given.add("trustCertificates");
      }
      if (insecureTrustAll) {
        given.add("insecureTrustAllCertificates");
      }
      if (connectTimeout != null) {
        given.add("connectTimeout");
      }
      if (responseTimeout != null) {
        given.add("responseTimeout");
      }
      if (compression != null) {
        given.add("compression");
      }
      return given;
    }

    /**
     * The settings, with trust material loaded.
     *
     * @throws IllegalStateException if no hosts are given, settings exclude each other (basicAuth
     *     and apiKey; two trust settings), the hosts mix http and https, a trust setting is given
     *     without https hosts, or trust material cannot be read; the message names the settings
     */
    public ClientSettings build() {
      if (hosts.isEmpty()) {
        throw new IllegalStateException("hosts(...) is required");
      }
      if (username != null && apiKey != null) {
        throw new IllegalStateException("basicAuth and apiKey are exclusive: choose one");
      }
      List<String> trust = new ArrayList<>();
      if (trustStore != null) {
        trust.add("trustStore");
      }
      if (trustCertificates != null) {
        trust.add("trustCertificates");
      }
      if (insecureTrustAll) {
        trust.add("insecureTrustAllCertificates");
      }
      if (trust.size() > 1) {
        throw new IllegalStateException(
            String.join(", ", trust) + " are exclusive: choose one trust setting");
      }
      boolean https = !hosts.get(0).plainHttp();
      for (NodeUrl host : hosts) {
        if (host.plainHttp() == https) {
          throw new IllegalStateException("hosts mix http and https: " + hosts);
        }
      }
      if (!trust.isEmpty() && !https) {
        throw new IllegalStateException(trust.get(0) + " is set but no host uses https: " + hosts);
      }
      NodeUrl.warnIfCredentialsInClear(
          hosts,
          username != null
              ? Optional.of("basicAuth")
              : apiKey != null ? Optional.of("apiKey") : Optional.empty());
      return new ClientSettings(this, trust.isEmpty() ? null : sslContext());
    }

    private SSLContext sslContext() {
      try {
        TrustManager[] trustManagers;
        if (insecureTrustAll) {
          trustManagers = new TrustManager[] {new TrustAll()};
        } else {
          TrustManagerFactory factory =
              TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
          factory.init(trustStore != null ? loadTrustStore() : loadCertificates());
          trustManagers = factory.getTrustManagers();
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trustManagers, null);
        return context;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
      }
    }

    private KeyStore loadTrustStore() {
      Path path = Objects.requireNonNull(trustStore);
      try {
        // Tells PKCS#12 and JKS apart by content.
        return KeyStore.getInstance(path.toFile(), trustStorePassword);
      } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
        throw new IllegalStateException(
            "trustStore: cannot read " + path + ": " + e.getMessage(), e);
      }
    }

    private KeyStore loadCertificates() {
      Path path = Objects.requireNonNull(trustCertificates);
      try (InputStream in = Files.newInputStream(path)) {
        Collection<? extends Certificate> certificates =
            CertificateFactory.getInstance("X.509").generateCertificates(in);
        if (certificates.isEmpty()) {
          throw new IllegalStateException("trustCertificates: no certificate in " + path);
        }
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int i = 0;
        for (Certificate certificate : certificates) {
          store.setCertificateEntry("ca-" + i++, certificate);
        }
        return store;
      } catch (IOException | GeneralSecurityException e) {
        throw new IllegalStateException(
            "trustCertificates: cannot read " + path + ": " + e.getMessage(), e);
      }
    }

    private static Duration positive(Duration value, String name) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, was " + value);
      }
      if (value.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(name + " must be below 24 days, was " + value);
      }
      return value;
    }
  }

  /** Accepts every certificate: {@link Builder#insecureTrustAllCertificates} only. */
  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
