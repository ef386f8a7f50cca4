package dev.driftless.opensearch;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.search.ClientSettings;
import dev.driftless.search.SearchSinkBuilder;
import dev.driftless.search.SearchSinkSettings;
import dev.driftless.search.internal.SearchSink;
import dev.driftless.search.internal.SearchTransport;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.apache.hc.client5.http.auth.AuthScope;
import org.apache.hc.client5.http.auth.UsernamePasswordCredentials;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.auth.BasicCredentialsProvider;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.client5.http.ssl.HostnameVerificationPolicy;
import org.apache.hc.client5.http.ssl.HttpsSupport;
import org.apache.hc.client5.http.ssl.NoopHostnameVerifier;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.message.BasicHeader;
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
 *     .hosts("https://search-1:9200", "https://search-2:9200")
 *     .basicAuth("driftless", password)
 *     .trustCertificates(Path.of("root-ca.pem"))
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
   * docs/operations.md (blue/green re-indexing).
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

  /** The engine-neutral settings this sink runs with. */
  public SearchSinkSettings settings() {
    return delegate.settings();
  }

  /** Stops background work and closes the client if the sink built it. Idempotent. */
  @Override
  public void close() {
    delegate.close();
  }

  /**
   * Builds an {@link OpenSearchSink}: the settings of {@link SearchSinkBuilder}, shared with the
   * Elasticsearch sink, plus {@link #client}. Setters check their argument at once; {@link
   * #build()} checks the rules between settings. Not thread-safe.
   */
  public static final class Builder extends SearchSinkBuilder<Builder> {
    private @Nullable OpenSearchClient client;

    private Builder() {}

    @Override
    protected Builder self() {
      return this;
    }

    /**
     * Writes through the caller's configured client (its transport, authentication and TLS). The
     * sink never closes it. Excludes {@link #hosts} and every other connection setting.
     */
    public Builder client(OpenSearchClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * The old name of {@link #hosts(String...)}, which both engines' builders share. Unlike before,
     * a second call replaces the nodes of the first instead of adding to them.
     *
     * @deprecated use {@link #hosts(String...)}; this name goes before 1.0
     */
    @Deprecated(forRemoval = true)
    @SuppressWarnings("InlineMeSuggester") // @InlineMe would add a dependency for one method
    public Builder urls(String... urls) {
      return hosts(urls);
    }

    /**
     * The sink.
     *
     * @throws IllegalStateException naming the settings that conflict, are missing, or whose trust
     *     material cannot be read
     */
    public OpenSearchSink build() {
      SearchSinkSettings built = sinkSettings();
      OpenSearchClient given = client;
      ClientSettings connection = clientSettings(given != null);
      SearchTransport transport;
      if (given != null) {
        transport = new OpenSearchClientTransport(given, null);
      } else {
        OpenSearchTransport owned = buildTransport(Objects.requireNonNull(connection));
        transport = new OpenSearchClientTransport(new OpenSearchClient(owned), owned);
      }
      return new OpenSearchSink(new SearchSink(transport, built));
    }

    private static OpenSearchTransport buildTransport(ClientSettings connection) {
      List<HttpHost> hosts = new ArrayList<>();
      for (URI node : connection.hosts()) {
        hosts.add(new HttpHost(node.getScheme(), node.getHost(), node.getPort()));
      }
      @Nullable SSLContext tlsContext =
          connection.https() ? connection.sslContext().orElseGet(Builder::defaultTls) : null;
      ApacheHttpClient5TransportBuilder b =
          ApacheHttpClient5TransportBuilder.builder(hosts.toArray(new HttpHost[0]));
      String user = connection.username().orElse(null);
      String pass = connection.password().orElse(null);
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
                                Timeout.of(
                                    connection.connectTimeout().toMillis(), TimeUnit.MILLISECONDS))
                            .build());
            if (tlsContext != null) {
              // The client checks the host name itself: left to the JDK (HttpClient's default
              // policy), the async transport connected to a host its certificate does not name
              // (TlsAndAuthIT shows it).
              ClientTlsStrategyBuilder tls =
                  ClientTlsStrategyBuilder.create()
                      .setSslContext(tlsContext)
                      .setHostnameVerifier(
                          connection.verifyHostnames()
                              ? HttpsSupport.getDefaultHostnameVerifier()
                              : NoopHostnameVerifier.INSTANCE);
              tls.setHostnameVerificationPolicy(HostnameVerificationPolicy.CLIENT);
              cm.setTlsStrategy(tls.buildAsync());
            }
            return http.setConnectionManager(cm.build());
          });
      b.setRequestConfigCallback(
          rc ->
              rc.setResponseTimeout(
                  Timeout.of(connection.responseTimeout().toMillis(), TimeUnit.MILLISECONDS)));
      connection
          .authorizationHeader()
          .ifPresent(
              value -> b.setDefaultHeaders(new Header[] {new BasicHeader("Authorization", value)}));
      b.setCompressionEnabled(connection.compression());
      return b.build();
    }

    private static SSLContext defaultTls() {
      try {
        return SSLContext.getDefault();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("the JVM's default TLS context is unavailable: " + e, e);
      }
    }
  }
}
