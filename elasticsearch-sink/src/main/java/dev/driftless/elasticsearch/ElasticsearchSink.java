package dev.driftless.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.search.ClientSettings;
import dev.driftless.search.SearchSinkBuilder;
import dev.driftless.search.SearchSinkSettings;
import dev.driftless.search.internal.ResultClassifier;
import dev.driftless.search.internal.SearchSink;
import dev.driftless.search.internal.TransportResponse;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.apache.http.Header;
import org.apache.http.HttpHost;
import org.apache.http.auth.AuthScope;
import org.apache.http.auth.UsernamePasswordCredentials;
import org.apache.http.conn.ssl.NoopHostnameVerifier;
import org.apache.http.impl.client.BasicCredentialsProvider;
import org.apache.http.message.BasicHeader;
import org.elasticsearch.client.RestClient;
import org.elasticsearch.client.RestClientBuilder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link VersionedSink} for Elasticsearch 7.10 through 9.x, over the low-level REST client.
 *
 * <p>Every engine-neutral behaviour is {@link SearchSink}'s: each event becomes one {@code _bulk}
 * action carrying the event's version with {@code version_type=external_gte}, so Elasticsearch
 * itself refuses anything older than what it holds; per-item answers become Applied, Stale,
 * Rejected (mapping errors, documents too large: dead-lettered by the pipeline) or Retry (429,
 * rejected execution, cluster blocks, 5xx); indices are created with the Driftless metadata fields
 * or checked for them; deletes may be kept as tombstones. This class adapts the {@link RestClient}
 * to it and adds what is specific to Elasticsearch: building a client from URLs, credentials and
 * TLS settings, and checking at {@link #start} that the server is an Elasticsearch of a supported
 * version.
 *
 * <pre>{@code
 * ElasticsearchSink sink = ElasticsearchSink.builder()
 *     .hosts("https://search.internal:9200")
 *     .apiKey(System.getenv("ES_API_KEY"))
 *     .trustCertificates(Path.of("/etc/elasticsearch/certs/http_ca.crt"))
 *     .routing(IndexRouting.prefixed("app-"))
 *     .build();
 * }</pre>
 *
 * <h2>Threading and failures</h2>
 *
 * <p>Thread-safe: {@link #write} may be called from several threads at once. Every method blocks on
 * I/O. A failure to get an answer (connection refused or reset, timeout) and answers that may heal
 * (429, 5xx, cluster blocks) are thrown as {@link dev.driftless.core.RetriableException}, never
 * reported as Rejected; wrong credentials, a server certificate that is not trusted or does not
 * name the host, an unsupported server and an existing index without the metadata fields are thrown
 * as {@link DriftlessException}.
 *
 * <h2>Clients</h2>
 *
 * <p>A client handed in with {@link Builder#client} stays the caller's: {@link #close()} does not
 * close it. A client built from {@link Builder#hosts} belongs to the sink and is closed with it.
 */
public final class ElasticsearchSink implements VersionedSink {

  private static final Logger LOG = LoggerFactory.getLogger(ElasticsearchSink.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern VERSION_NUMBER = Pattern.compile("^(\\d+)\\.(\\d+)");

  private final RestClientTransport transport;
  private final SearchSink delegate;
  private volatile @Nullable String serverVersion;

  private ElasticsearchSink(RestClientTransport transport, SearchSinkSettings settings) {
    this.transport = transport;
    this.delegate = new SearchSink(transport, settings);
  }

  /** A builder; either {@link Builder#client} or {@link Builder#hosts} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Checks that the server is Elasticsearch 7.10 or newer, then checks or creates the indices of
   * {@link SearchSinkSettings#collections()}.
   *
   * @throws DriftlessException if the server is not a supported Elasticsearch, the credentials are
   *     refused, or an existing index lacks the metadata fields
   * @throws dev.driftless.core.RetriableException if the server does not answer
   */
  @Override
  public void start(SinkContext context) {
    checkServer();
    delegate.start(context);
  }

  @Override
  public List<WriteResult> write(List<ChangeEvent> batch) {
    return delegate.write(batch);
  }

  /**
   * What the index holds for {@code key}, read in real time (no refresh needed): the document
   * without metadata fields, its version, and whether it is a tombstone.
   */
  public Optional<StoredDocument> get(DocumentKey key) {
    return delegate.get(key);
  }

  /** Makes every write so far visible to search in {@code collection}'s index. */
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

  /** The index {@code collection} is written to, checked or created on first use. */
  public String indexFor(String collection) {
    return delegate.indexFor(collection);
  }

  /** The name readers should search for {@code collection}: the live alias in tombstone mode. */
  public String readTargetFor(String collection) {
    return delegate.readTargetFor(collection);
  }

  /** Deletes tombstones older than the horizon; see {@link SearchSink#purgeTombstones()}. */
  public long purgeTombstones() {
    return delegate.purgeTombstones();
  }

  /** The index side of reconciliation for the collections this sink writes. */
  public FingerprintReader fingerprintReader() {
    return delegate.fingerprintReader();
  }

  /** The engine-neutral settings this sink runs with. */
  public SearchSinkSettings settings() {
    return delegate.settings();
  }

  /** The server's version number as {@link #start} read it (for example {@code 7.10.2}). */
  public Optional<String> serverVersion() {
    return Optional.ofNullable(serverVersion);
  }

  /** Closes the sink, and the REST client if the sink built it. Idempotent. */
  @Override
  public void close() {
    delegate.close();
  }

  private void checkServer() {
    TransportResponse root = transport.perform("GET", "/", Map.of(), null);
    if (root.status() == 403) {
      // A writer's API key may lack the monitor privilege that GET / needs: writing still works.
      LOG.warn("cannot read the Elasticsearch version (403 on GET /); skipping the version check");
      return;
    }
    if (!root.isSuccess()) {
      throw ResultClassifier.failure("reading the Elasticsearch version (GET /)", root);
    }
    JsonNode version;
    try {
      version = JSON.readTree(root.body()).path("version");
    } catch (IOException e) {
      throw new DriftlessException("GET / did not answer JSON; is this Elasticsearch? " + root);
    }
    String number = version.path("number").asText("");
    if ("opensearch".equals(version.path("distribution").asText(""))) {
      throw new DriftlessException(
          "the server is OpenSearch "
              + number
              + ", not Elasticsearch: use driftless-opensearch-sink, which is tested against it");
    }
    Matcher m = VERSION_NUMBER.matcher(number);
    if (!m.find()) {
      throw new DriftlessException("cannot read the Elasticsearch version from GET /: " + root);
    }
    int major = Integer.parseInt(m.group(1));
    int minor = Integer.parseInt(m.group(2));
    if (major < 7 || (major == 7 && minor < 10)) {
      throw new DriftlessException(
          "Elasticsearch " + number + " is not supported: Driftless needs 7.10 or newer");
    }
    if (major > 9) {
      LOG.warn(
          "Elasticsearch {} is newer than the versions Driftless was tested with (7.10-9.x)",
          number);
    }
    serverVersion = number;
  }

  /**
   * Configures an {@link ElasticsearchSink}: the settings of {@link SearchSinkBuilder}, shared with
   * the OpenSearch sink, plus {@link #client}. Setters check their argument at once; {@link
   * #build()} checks how settings combine and loads trust material, naming the setting at fault.
   * Not thread-safe.
   */
  public static final class Builder extends SearchSinkBuilder<Builder> {
    private @Nullable RestClient client;

    private Builder() {}

    @Override
    protected Builder self() {
      return this;
    }

    /**
     * Writes through the caller's configured client (hosts, credentials, TLS, timeouts are the
     * client's). The sink never closes it. Excludes {@link #hosts} and every other connection
     * setting.
     */
    public Builder client(RestClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * The old name of {@link #responseTimeout}, which both engines' builders share.
     *
     * @deprecated use {@link #responseTimeout}; this name goes before 1.0
     */
    @Deprecated(forRemoval = true)
    @SuppressWarnings("InlineMeSuggester") // @InlineMe would add a dependency for one method
    public Builder socketTimeout(Duration timeout) {
      return responseTimeout(timeout);
    }

    /**
     * The sink, with a client built from {@link #hosts} or the one given to {@link #client}.
     *
     * @throws IllegalStateException if settings contradict each other or trust material cannot be
     *     read; the message names the settings
     */
    public ElasticsearchSink build() {
      SearchSinkSettings settings = sinkSettings();
      RestClient given = client;
      ClientSettings connection = clientSettings(given != null);
      if (given != null) {
        return new ElasticsearchSink(new RestClientTransport(given, false), settings);
      }
      RestClient built = buildClient(Objects.requireNonNull(connection));
      return new ElasticsearchSink(new RestClientTransport(built, true), settings);
    }

    private static RestClient buildClient(ClientSettings connection) {
      List<HttpHost> hosts = new ArrayList<>();
      for (URI node : connection.hosts()) {
        hosts.add(new HttpHost(node.getHost(), node.getPort(), node.getScheme()));
      }
      RestClientBuilder builder = RestClient.builder(hosts.toArray(new HttpHost[0]));
      String user = connection.username().orElse(null);
      String pass = connection.password().orElse(null);
      SSLContext ssl = connection.sslContext().orElse(null);
      boolean verifyHostnames = connection.verifyHostnames();
      builder.setHttpClientConfigCallback(
          http -> {
            if (user != null && pass != null) {
              BasicCredentialsProvider credentials = new BasicCredentialsProvider();
              credentials.setCredentials(
                  AuthScope.ANY, new UsernamePasswordCredentials(user, pass));
              http.setDefaultCredentialsProvider(credentials);
            }
            if (ssl != null) {
              http.setSSLContext(ssl);
            }
            if (!verifyHostnames) {
              http.setSSLHostnameVerifier(NoopHostnameVerifier.INSTANCE);
            }
            return http;
          });
      int connect = (int) connection.connectTimeout().toMillis();
      int response = (int) connection.responseTimeout().toMillis();
      builder.setRequestConfigCallback(
          request -> request.setConnectTimeout(connect).setSocketTimeout(response));
      connection
          .authorizationHeader()
          .ifPresent(
              value ->
                  builder.setDefaultHeaders(
                      new Header[] {new BasicHeader("Authorization", value)}));
      builder.setCompressionEnabled(connection.compression());
      return builder.build();
    }
  }
}
