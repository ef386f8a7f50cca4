package dev.driftless.opensearch;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.search.IndexRouting;
import dev.driftless.search.NodeUrl;
import dev.driftless.search.SearchSink;
import dev.driftless.search.SearchSinkSettings;
import dev.driftless.search.SearchTransport;
import dev.driftless.search.StoredDocument;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.apache.hc.client5.http.auth.AuthScope;
import org.apache.hc.client5.http.auth.UsernamePasswordCredentials;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.auth.BasicCredentialsProvider;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.client5.http.ssl.HostnameVerificationPolicy;
import org.apache.hc.client5.http.ssl.HttpsSupport;
import org.apache.hc.client5.http.ssl.NoopHostnameVerifier;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.util.Timeout;
import org.jspecify.annotations.Nullable;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.transport.OpenSearchTransport;
import org.opensearch.client.transport.httpclient5.ApacheHttpClient5TransportBuilder;

/**
 * A {@link VersionedSink} for OpenSearch 2.x and 3.x: versioned bulk writes ({@code
 * version_type=external_gte}), per-item classification, index creation with the Driftless metadata
 * fields, optional tombstones, and the index side of reconciliation ({@link #fingerprintReader()}).
 * See {@code docs/sinks.md} and {@link SearchSink}, which does the engine-neutral work.
 *
 * <pre>{@code
 * OpenSearchSink sink = OpenSearchSink.builder()
 *     .urls("https://search-1:9200", "https://search-2:9200")
 *     .basicAuth("driftless", password)
 *     .trustStore(Path.of("truststore.p12"), "changeit")
 *     .routing(IndexRouting.prefixed("shop-"))
 *     .mapping("orders", "{\"properties\": {\"total\": {\"type\": \"scaled_float\", \"scaling_factor\": 100}}}")
 *     .build();
 * }</pre>
 *
 * <p>Thread-safe; {@link #write} may be called concurrently and blocks on I/O. Failures that may
 * heal are thrown as {@link dev.driftless.core.RetriableException}; configuration problems found at
 * {@link #start} or on first use of a collection (an existing index without the metadata fields) as
 * {@link dev.driftless.core.DriftlessException}. A client handed in with {@link Builder#client}
 * stays the caller's: {@link #close()} does not close it.
 */
public final class OpenSearchSink implements VersionedSink {

  private final SearchSink delegate;

  private OpenSearchSink(SearchSink delegate) {
    this.delegate = delegate;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void start(SinkContext context) {
    delegate.start(context);
  }

  @Override
  public List<WriteResult> write(List<ChangeEvent> batch) {
    return delegate.write(batch);
  }

  /** What the index holds for {@code key}, read in real time; tombstones are flagged. */
  public Optional<StoredDocument> get(DocumentKey key) {
    return delegate.get(key);
  }

  /** The index (or alias) a collection is written to, created or checked on first use. */
  public String indexFor(String collection) {
    return delegate.indexFor(collection);
  }

  /** What readers search for a collection: the tombstone-free alias in tombstone mode. */
  public String readTargetFor(String collection) {
    return delegate.readTargetFor(collection);
  }

  /** Makes every write so far visible to search in a collection's index. */
  public void refresh(String collection) {
    delegate.refresh(collection);
  }

  /**
   * Points {@code alias} at {@code index} alone, atomically: the blue/green re-index switch; see
   * {@link dev.driftless.search.SearchSink#switchAlias} and docs/operations.md.
   */
  public void switchAlias(String alias, String index) {
    delegate.switchAlias(alias, index);
  }

  /** Deletes tombstones older than the horizon; see {@link SearchSink#purgeTombstones()}. */
  public long purgeTombstones() {
    return delegate.purgeTombstones();
  }

  /** The index side of reconciliation. */
  public FingerprintReader fingerprintReader() {
    return delegate.fingerprintReader();
  }

  /** Stops background work and closes the client if the sink built it. Idempotent. */
  @Override
  public void close() {
    delegate.close();
  }

  /**
   * Builds an {@link OpenSearchSink}. Setters check their argument at once; {@link #build()} checks
   * the rules between settings. Not thread-safe.
   */
  public static final class Builder {
    private @Nullable OpenSearchClient client;
    private final List<HttpHost> hosts = new ArrayList<>();
    private final List<NodeUrl> nodes = new ArrayList<>();
    private @Nullable String username;
    private @Nullable String password;
    private @Nullable Path trustStore;
    private @Nullable String trustStorePassword;
    private boolean insecure;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration responseTimeout = Duration.ofSeconds(60);
    private final SearchSinkSettings.Builder settings = SearchSinkSettings.builder();

    private Builder() {}

    /**
     * Writes through the caller's configured client (its transport, authentication and TLS). The
     * sink never closes it. Excludes {@link #urls}.
     */
    public Builder client(OpenSearchClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * The nodes to connect to, e.g. {@code https://search-1:9200} (port 9200 when absent). No path,
     * query or credentials: give credentials with {@link #basicAuth}. Excludes {@link #client}.
     *
     * @throws IllegalArgumentException naming the URL (its credentials hidden) that is not one
     */
    public Builder urls(String... urls) {
      Objects.requireNonNull(urls, "urls");
      for (String url : urls) {
        NodeUrl node = NodeUrl.parse("urls", url, 9200, "basicAuth");
        nodes.add(node);
        hosts.add(new HttpHost(node.scheme(), node.host(), node.port()));
      }
      return this;
    }

    /**
     * HTTP basic authentication for the nodes given with {@link #urls}. Over plain {@code http} the
     * credentials travel readable: {@link #build()} logs a warning then.
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
     * A trust store (PKCS12 or JKS, by file content) holding the CA of the nodes' certificates, for
     * {@code https} {@link #urls}.
     */
    public Builder trustStore(Path path, String password) {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(password, "password");
      if (!Files.isReadable(path)) {
        throw new IllegalArgumentException("trustStore: cannot read " + path);
      }
      this.trustStore = path;
      this.trustStorePassword = password;
      return this;
    }

    /**
     * Trust every certificate and host name. For tests against self-signed nodes only: it turns off
     * the protection TLS gives. Default false.
     */
    public Builder insecureTrustAllCertificates(boolean insecure) {
      this.insecure = insecure;
      return this;
    }

    /** Connect timeout for {@link #urls}; positive; default 5 s. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /** Response timeout for {@link #urls}; positive; default 60 s. */
    public Builder responseTimeout(Duration timeout) {
      this.responseTimeout = positive(timeout, "responseTimeout");
      return this;
    }

    /** See {@link SearchSinkSettings.Builder#routing}. */
    public Builder routing(IndexRouting routing) {
      settings.routing(routing);
      return this;
    }

    /** See {@link SearchSinkSettings.Builder#mapping}. */
    public Builder mapping(String collection, String mappingJson) {
      settings.mapping(collection, mappingJson);
      return this;
    }

    /** See {@link SearchSinkSettings.Builder#defaultMapping}. */
    public Builder defaultMapping(String mappingJson) {
      settings.defaultMapping(mappingJson);
      return this;
    }

    /** See {@link SearchSinkSettings.Builder#indexSettings}. */
    public Builder indexSettings(String settingsJson) {
      settings.indexSettings(settingsJson);
      return this;
    }

    /** See {@link SearchSinkSettings.Builder#collections}. */
    public Builder collections(String... names) {
      settings.collections(List.of(Objects.requireNonNull(names, "names")));
      return this;
    }

    /** See {@link SearchSinkSettings.Builder#maxRequestBytes}. */
    public Builder maxRequestBytes(long bytes) {
      settings.maxRequestBytes(bytes);
      return this;
    }

    /** See {@link SearchSinkSettings.Builder#maxRequestItems}. */
    public Builder maxRequestItems(int items) {
      settings.maxRequestItems(items);
      return this;
    }

    /** See {@link SearchSinkSettings.Builder#tombstones}. */
    public Builder tombstones(boolean enabled) {
      settings.tombstones(enabled);
      return this;
    }

    /** See {@link SearchSinkSettings.Builder#liveAliasSuffix}. */
    public Builder liveAliasSuffix(String suffix) {
      settings.liveAliasSuffix(suffix);
      return this;
    }

    /** See {@link SearchSinkSettings.Builder#tombstoneHorizon}. */
    public Builder tombstoneHorizon(Duration horizon) {
      settings.tombstoneHorizon(horizon);
      return this;
    }

    /** See {@link SearchSinkSettings.Builder#tombstonePurgeInterval}. */
    public Builder tombstonePurgeInterval(Duration interval) {
      settings.tombstonePurgeInterval(interval);
      return this;
    }

    /** See {@link SearchSinkSettings.Builder#listPageSize}. */
    public Builder listPageSize(int size) {
      settings.listPageSize(size);
      return this;
    }

    /** See {@link SearchSinkSettings.Builder#clock}. */
    public Builder clock(Clock clock) {
      settings.clock(clock);
      return this;
    }

    /**
     * The sink.
     *
     * @throws IllegalStateException naming the settings that conflict or are missing
     */
    public OpenSearchSink build() {
      SearchSinkSettings built = settings.build();
      OpenSearchClient given = client;
      if (given != null && !hosts.isEmpty()) {
        throw new IllegalStateException("set either client or urls, not both");
      }
      if (given == null && hosts.isEmpty()) {
        throw new IllegalStateException("set client (your OpenSearchClient) or urls");
      }
      if (given != null && (username != null || trustStore != null || insecure)) {
        throw new IllegalStateException(
            "basicAuth, trustStore and insecureTrustAllCertificates apply to urls only; configure"
                + " them on your own client");
      }
      boolean https = hosts.stream().anyMatch(h -> h.getSchemeName().equals("https"));
      if ((trustStore != null || insecure) && !https) {
        throw new IllegalStateException(
            "trustStore and insecureTrustAllCertificates need https urls");
      }
      if (trustStore != null && insecure) {
        throw new IllegalStateException(
            "set either trustStore or insecureTrustAllCertificates, not both");
      }
      SearchTransport transport;
      if (given != null) {
        transport = new OpenSearchClientTransport(given, null);
      } else {
        NodeUrl.warnIfCredentialsInClear(
            nodes, username != null ? Optional.of("basicAuth") : Optional.empty());
        OpenSearchTransport owned = buildTransport();
        transport = new OpenSearchClientTransport(new OpenSearchClient(owned), owned);
      }
      return new OpenSearchSink(new SearchSink(transport, built));
    }

    private OpenSearchTransport buildTransport() {
      @Nullable SSLContext ssl = sslContext();
      String user = username;
      String pass = password;
      boolean https = hosts.stream().anyMatch(h -> h.getSchemeName().equals("https"));
      @Nullable SSLContext tlsContext = https ? (ssl != null ? ssl : defaultTls()) : null;
      ApacheHttpClient5TransportBuilder b =
          ApacheHttpClient5TransportBuilder.builder(hosts.toArray(new HttpHost[0]));
      b.setHttpClientConfigCallback(
          http -> {
            if (user != null && pass != null) {
              BasicCredentialsProvider credentials = new BasicCredentialsProvider();
              for (HttpHost host : hosts) {
                credentials.setCredentials(
                    new AuthScope(host), new UsernamePasswordCredentials(user, pass.toCharArray()));
              }
              http.setDefaultCredentialsProvider(credentials);
            }
            PoolingAsyncClientConnectionManagerBuilder cm =
                PoolingAsyncClientConnectionManagerBuilder.create()
                    .setDefaultConnectionConfig(
                        ConnectionConfig.custom()
                            .setConnectTimeout(
                                Timeout.of(connectTimeout.toMillis(), TimeUnit.MILLISECONDS))
                            .build());
            if (tlsContext != null) {
              // The client checks the host name itself: left to the JDK (HttpClient's default
              // policy), the async transport connected to a host its certificate does not name
              // (TlsAndAuthIT shows it).
              ClientTlsStrategyBuilder tls =
                  ClientTlsStrategyBuilder.create()
                      .setSslContext(tlsContext)
                      .setHostnameVerifier(
                          insecure
                              ? NoopHostnameVerifier.INSTANCE
                              : HttpsSupport.getDefaultHostnameVerifier());
              tls.setHostnameVerificationPolicy(HostnameVerificationPolicy.CLIENT);
              cm.setTlsStrategy(tls.buildAsync());
            }
            return http.setConnectionManager(cm.build());
          });
      b.setRequestConfigCallback(
          rc ->
              rc.setResponseTimeout(Timeout.of(responseTimeout.toMillis(), TimeUnit.MILLISECONDS)));
      return b.build();
    }

    private static SSLContext defaultTls() {
      try {
        return SSLContext.getDefault();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("the JVM's default TLS context is unavailable: " + e, e);
      }
    }

    private @Nullable SSLContext sslContext() {
      try {
        if (insecure) {
          SSLContext ctx = SSLContext.getInstance("TLS");
          ctx.init(null, new TrustManager[] {new TrustAll()}, null);
          return ctx;
        }
        Path path = trustStore;
        if (path == null) {
          return null;
        }
        char[] pw = Objects.requireNonNull(trustStorePassword).toCharArray();
        KeyStore store;
        try (InputStream in = Files.newInputStream(path)) {
          store = KeyStore.getInstance(KeyStore.getDefaultType());
          store.load(in, pw);
        }
        TrustManagerFactory tmf =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
      } catch (IOException | GeneralSecurityException e) {
        throw new IllegalStateException("trustStore: cannot load " + trustStore + ": " + e, e);
      }
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, was " + d);
      }
      return d;
    }
  }

  /** Trusts everything; only reachable through {@code insecureTrustAllCertificates(true)}. */
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
