package dev.driftless.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.search.NodeUrl;
import dev.driftless.search.ResultClassifier;
import dev.driftless.search.SearchSink;
import dev.driftless.search.SearchSinkSettings;
import dev.driftless.search.StoredDocument;
import dev.driftless.search.TransportResponse;
import java.io.IOException;
import java.io.InputStream;
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
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
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
 *     .settings(SearchSinkSettings.builder().routing(IndexRouting.prefixed("app-")).build())
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
   * {@link dev.driftless.search.SearchSink#switchAlias} and docs/operations.md.
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
   * Configures an {@link ElasticsearchSink}. Setters check their argument at once; {@link #build()}
   * checks how settings combine and loads trust material, naming the setting at fault. Not
   * thread-safe.
   */
  public static final class Builder {
    private @Nullable RestClient client;
    private final List<HttpHost> hosts = new ArrayList<>();
    private @Nullable String username;
    private @Nullable String password;
    private @Nullable String apiKey;
    private @Nullable Path trustStore;
    private char @Nullable [] trustStorePassword;
    private @Nullable Path trustCertificates;
    private boolean insecureTrustAll;
    private @Nullable Duration connectTimeout;
    private @Nullable Duration socketTimeout;
    private @Nullable Boolean compression;
    private SearchSinkSettings settings = SearchSinkSettings.builder().build();

    private Builder() {}

    /**
     * Writes through the caller's configured client (hosts, credentials, TLS, timeouts are the
     * client's). The sink never closes it. Excludes {@link #hosts} and every connection setting of
     * this builder.
     */
    public Builder client(RestClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * The nodes to talk to, as URLs such as {@code https://es1.internal:9200}: scheme {@code http}
     * or {@code https}, host, and port (the scheme's default, 80 or 443, when absent); no path,
     * query or user info.
     *
     * @throws IllegalArgumentException naming the first URL that is not one
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
      List<HttpHost> parsed = new ArrayList<>(urls.size());
      for (String url : urls) {
        parsed.add(parseHost(url));
      }
      hosts.clear();
      hosts.addAll(parsed);
      return this;
    }

    /** HTTP basic authentication for a client built from {@link #hosts}. */
    public Builder basicAuth(String username, String password) {
      Objects.requireNonNull(username, "username");
      Objects.requireNonNull(password, "password");
      if (username.isEmpty()) {
        throw new IllegalArgumentException("username must not be empty");
      }
      this.username = username;
      this.password = password;
      return this;
    }

    /**
     * API key authentication: the {@code encoded} value Elasticsearch returns when the key is
     * created (Base64 of {@code id:api_key}), sent as {@code Authorization: ApiKey ...}.
     */
    public Builder apiKey(String encoded) {
      Objects.requireNonNull(encoded, "encoded");
      if (encoded.isBlank()) {
        throw new IllegalArgumentException("apiKey must not be blank");
      }
      this.apiKey = encoded.strip();
      return this;
    }

    /** API key authentication from the key's {@code id} and {@code api_key} values. */
    public Builder apiKey(String id, String key) {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(key, "key");
      if (id.isEmpty() || key.isEmpty()) {
        throw new IllegalArgumentException("apiKey id and key must not be empty");
      }
      this.apiKey =
          Base64.getEncoder().encodeToString((id + ":" + key).getBytes(StandardCharsets.UTF_8));
      return this;
    }

    /**
     * Trusts the certificates of a trust store file (PKCS#12 or JKS) for {@code https} hosts,
     * instead of the JVM's default trust. Read at {@link #build()}.
     */
    public Builder trustStore(Path path, char[] password) {
      this.trustStore = Objects.requireNonNull(path, "path");
      this.trustStorePassword = Objects.requireNonNull(password, "password").clone();
      return this;
    }

    /**
     * Trusts the PEM certificates of a file (such as Elasticsearch's {@code http_ca.crt}) for
     * {@code https} hosts, instead of the JVM's default trust. Read at {@link #build()}.
     */
    public Builder trustCertificates(Path pemFile) {
      this.trustCertificates = Objects.requireNonNull(pemFile, "pemFile");
      return this;
    }

    /**
     * Trusts any certificate and any host name. For tests against throw-away clusters only: it
     * makes TLS worthless against an active attacker.
     */
    public Builder insecureTrustAllCertificates(boolean enabled) {
      this.insecureTrustAll = enabled;
      return this;
    }

    /** How long to wait for a connection; positive; default 1 s (the client's default). */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * How long to wait for data on an open connection; positive; default 60 s, since a bulk request
     * to a busy cluster may take long to answer.
     */
    public Builder socketTimeout(Duration timeout) {
      this.socketTimeout = positive(timeout, "socketTimeout");
      return this;
    }

    /** Whether request bodies are sent gzip-compressed; default false. */
    public Builder compression(boolean enabled) {
      this.compression = enabled;
      return this;
    }

    /**
     * Engine-neutral settings: routing, mappings, index settings, request sizes, tombstones.
     * Default {@code SearchSinkSettings.builder().build()}.
     */
    public Builder settings(SearchSinkSettings settings) {
      this.settings = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /**
     * The sink, with a client built from {@link #hosts} or the one given to {@link #client}.
     *
     * @throws IllegalStateException if settings contradict each other or trust material cannot be
     *     read; the message names the settings
     */
    public ElasticsearchSink build() {
      RestClient given = client;
      if (given != null) {
        if (!hosts.isEmpty()) {
          throw new IllegalStateException(
              "client and hosts are exclusive: the client already knows its hosts");
        }
        List<String> ignored = connectionSettingsSet();
        if (!ignored.isEmpty()) {
          throw new IllegalStateException(
              String.join(", ", ignored)
                  + " only apply to a client built from hosts; configure them on the RestClient"
                  + " given to client(...)");
        }
        return new ElasticsearchSink(new RestClientTransport(given, false), settings);
      }
      if (hosts.isEmpty()) {
        throw new IllegalStateException("either client(...) or hosts(...) is required");
      }
      if (username != null && apiKey != null) {
        throw new IllegalStateException("basicAuth and apiKey are exclusive: choose one");
      }
      int trustChoices =
          (trustStore != null ? 1 : 0)
              + (trustCertificates != null ? 1 : 0)
              + (insecureTrustAll ? 1 : 0);
      if (trustChoices > 1) {
        throw new IllegalStateException(
            "trustStore, trustCertificates and insecureTrustAllCertificates are exclusive: choose"
                + " one");
      }
      boolean https = hosts.get(0).getSchemeName().equals("https");
      for (HttpHost host : hosts) {
        if (host.getSchemeName().equals("https") != https) {
          throw new IllegalStateException("hosts mix http and https: " + hosts);
        }
      }
      if (trustChoices > 0 && !https) {
        throw new IllegalStateException(
            (trustStore != null
                    ? "trustStore"
                    : trustCertificates != null
                        ? "trustCertificates"
                        : "insecureTrustAllCertificates")
                + " is set but no host uses https: "
                + hosts);
      }
      List<NodeUrl> nodes = new ArrayList<>();
      for (HttpHost host : hosts) {
        nodes.add(new NodeUrl(host.getSchemeName(), host.getHostName(), host.getPort()));
      }
      NodeUrl.warnIfCredentialsInClear(
          nodes,
          username != null
              ? Optional.of("basicAuth")
              : apiKey != null ? Optional.of("apiKey") : Optional.empty());
      SSLContext ssl = https && trustChoices > 0 ? sslContext() : null;
      RestClient built = buildClient(ssl);
      return new ElasticsearchSink(new RestClientTransport(built, true), settings);
    }

    private List<String> connectionSettingsSet() {
      List<String> set = new ArrayList<>();
      if (username != null) {
        set.add("basicAuth");
      }
      if (apiKey != null) {
        set.add("apiKey");
      }
      if (trustStore != null) {
        set.add("trustStore");
      }
      if (trustCertificates != null) {
        set.add("trustCertificates");
      }
      if (insecureTrustAll) {
        set.add("insecureTrustAllCertificates");
      }
      if (connectTimeout != null) {
        set.add("connectTimeout");
      }
      if (socketTimeout != null) {
        set.add("socketTimeout");
      }
      if (compression != null) {
        set.add("compression");
      }
      return set;
    }

    private RestClient buildClient(@Nullable SSLContext ssl) {
      RestClientBuilder builder = RestClient.builder(hosts.toArray(new HttpHost[0]));
      String user = username;
      String pass = password;
      boolean trustAll = insecureTrustAll;
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
            if (trustAll) {
              http.setSSLHostnameVerifier(NoopHostnameVerifier.INSTANCE);
            }
            return http;
          });
      Duration connect = connectTimeout;
      Duration socket = socketTimeout != null ? socketTimeout : Duration.ofSeconds(60);
      builder.setRequestConfigCallback(
          request -> {
            if (connect != null) {
              request.setConnectTimeout(millis(connect));
            }
            return request.setSocketTimeout(millis(socket));
          });
      String key = apiKey;
      if (key != null) {
        builder.setDefaultHeaders(new Header[] {new BasicHeader("Authorization", "ApiKey " + key)});
      }
      if (compression != null) {
        builder.setCompressionEnabled(compression);
      }
      return builder.build();
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
        // Detects PKCS#12 and JKS by content.
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

    private static HttpHost parseHost(String url) {
      NodeUrl node = NodeUrl.parse("hosts", url, -1, "basicAuth or apiKey");
      return new HttpHost(node.host(), node.port(), node.scheme());
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

    private static int millis(Duration d) {
      return (int) d.toMillis();
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
