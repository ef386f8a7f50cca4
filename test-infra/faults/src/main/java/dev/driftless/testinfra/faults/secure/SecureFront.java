package dev.driftless.testinfra.faults.secure;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * An HTTPS reverse proxy on 127.0.0.1 that asks for credentials before forwarding to a plain-HTTP
 * search engine: the stand-in for a secured cluster in tests of clients' TLS and authentication
 * settings.
 *
 * <p>At start it generates a self-signed RSA certificate with the JDK's {@code keytool}
 * (CN=localhost, subject alternative names {@code dns:localhost} and {@code ip:127.0.0.1} unless
 * {@link Builder#subjectAlternativeNames} says otherwise), and exports it as a PEM file ({@link
 * #certificatePem()}) and a PKCS#12 trust store ({@link #trustStore()}) for clients to trust.
 *
 * <p>Every request must carry valid credentials: the configured basic user and password ({@code
 * Authorization: Basic ...}) or the configured API key ({@code Authorization: ApiKey
 * base64(id:key)}). A request without them gets {@code 401} with {@code WWW-Authenticate: Basic
 * realm="driftless-test"} and a JSON body shaped like the engines' {@code security_exception}
 * error; any other request is forwarded (method, path, query, {@code Content-Type}, {@code
 * Content-Encoding} and body) and the engine's status, {@code Content-Type}, {@code Warning}
 * headers and body are returned. Every request is recorded ({@link #requests()}).
 *
 * <p>What it is not: a security plugin. It knows no users, roles, privileges or realms beyond one
 * user and one key, never answers 403, does not do client-certificate authentication, and does not
 * stream (bodies are buffered). The JDK's HTTPS server negotiates TLS 1.2/1.3 as the JVM allows.
 *
 * <p>Thread-safe. Uses only the JDK ({@code com.sun.net.httpserver} and {@code java.net.http}).
 */
public final class SecureFront implements AutoCloseable {

  /** The realm named in every challenge. */
  public static final String REALM = "driftless-test";

  /** The password of the key store, trust store and private key this front generates. */
  public static final String STORE_PASSWORD = "changeit";

  private static final String ALIAS = "secure-front";

  /**
   * One request as the front saw it.
   *
   * @param method the HTTP method
   * @param path the raw path, without query
   * @param scheme the {@code Authorization} scheme as sent ({@code Basic}, {@code ApiKey}, ...), or
   *     {@code none}
   * @param refused whether it was answered 401 instead of forwarded
   */
  public record Seen(String method, String path, String scheme, boolean refused) {}

  private final URI target;
  private final @Nullable String basicUser;
  private final @Nullable String basicPassword;
  private final @Nullable String apiKey;
  private final Path directory;
  private final Path keyStore;
  private final Path certificatePem;
  private final Path trustStore;
  private final HttpsServer server;
  private final ExecutorService executor;
  private final HttpClient forward;
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final AtomicInteger refused = new AtomicInteger();
  private volatile boolean revoked;

  private SecureFront(Builder b) throws IOException, GeneralSecurityException {
    this.target = Objects.requireNonNull(b.target);
    this.basicUser = b.basicUser;
    this.basicPassword = b.basicPassword;
    this.apiKey = b.apiKeyIdAndKey;
    this.directory = Files.createTempDirectory("driftless-secure-front");
    this.keyStore = directory.resolve("front.p12");
    this.certificatePem = directory.resolve("front.pem");
    this.trustStore = directory.resolve("truststore.p12");
    generateCertificate(b.subjectAlternativeNames);
    SSLContext ssl = serverContext();
    this.executor = Executors.newCachedThreadPool(daemonThreads());
    this.server =
        HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.setHttpsConfigurator(new HttpsConfigurator(ssl));
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    this.forward =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .executor(executor)
            .build();
    server.start();
  }

  /** A builder; {@link Builder#target} and at least one kind of credentials are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The front's port on 127.0.0.1. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** {@code https://localhost:<port>}: the name the default certificate is issued to. */
  public String httpsUrl() {
    return "https://localhost:" + port();
  }

  /** The self-signed certificate, PEM-encoded (one {@code CERTIFICATE} block). */
  public Path certificatePem() {
    return certificatePem;
  }

  /** A PKCS#12 trust store holding only the certificate, password {@link #STORE_PASSWORD}. */
  public Path trustStore() {
    return trustStore;
  }

  /** Every request seen so far, in order of arrival. */
  public List<Seen> requests() {
    return List.copyOf(seen);
  }

  /** How many requests arrived. */
  public int requestsSeen() {
    return seen.size();
  }

  /** How many requests were answered 401. */
  public int requestsRefused() {
    return refused.get();
  }

  /**
   * Refuses every request from now on, as a secured node does once the credentials a client uses
   * are revoked or have expired ({@code revoked = true}), or accepts the configured ones again.
   */
  public void revokeCredentials(boolean revoked) {
    this.revoked = revoked;
  }

  /** Forgets the requests seen so far (and the refused count). */
  public void clearRequests() {
    seen.clear();
    refused.set(0);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try (Stream<Path> files = Files.walk(directory)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // A temp directory left behind harms nothing.
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getRawPath();
      byte[] requestBody;
      try (InputStream in = exchange.getRequestBody()) {
        requestBody = in.readAllBytes();
      }
      String authorization = exchange.getRequestHeaders().getFirst("Authorization");
      String scheme = schemeOf(authorization);
      if (revoked || !authorized(authorization)) {
        refused.incrementAndGet();
        seen.add(new Seen(method, path, scheme, true));
        refuse(exchange, method, path, authorization);
        return;
      }
      seen.add(new Seen(method, path, scheme, false));
      forward(exchange, method, requestBody);
    }
  }

  private void forward(HttpExchange exchange, String method, byte[] body) throws IOException {
    URI incoming = exchange.getRequestURI();
    String query = incoming.getRawQuery();
    URI to = URI.create(target + incoming.getRawPath() + (query == null ? "" : "?" + query));
    HttpRequest.Builder request =
        HttpRequest.newBuilder(to)
            .timeout(Duration.ofMinutes(2))
            .method(
                method,
                body.length == 0
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    for (String header : List.of("Content-Type", "Content-Encoding")) {
      String value = exchange.getRequestHeaders().getFirst(header);
      if (value != null) {
        request.header(header, value);
      }
    }
    HttpResponse<byte[]> response;
    try {
      response = this.forward.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      send(
          exchange,
          method,
          502,
          "{\"error\":\"secure front: engine unreachable: "
              + jsonEscape(e.toString())
              + "\",\"status\":502}");
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while forwarding", e);
    }
    response
        .headers()
        .firstValue("Content-Type")
        .ifPresent(v -> exchange.getResponseHeaders().set("Content-Type", v));
    for (String warning : response.headers().allValues("Warning")) {
      exchange.getResponseHeaders().add("Warning", warning);
    }
    byte[] answer = response.body();
    boolean noBody = answer.length == 0 || method.equals("HEAD");
    exchange.sendResponseHeaders(response.statusCode(), noBody ? -1 : answer.length);
    if (!noBody) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(answer);
      }
    }
  }

  private boolean authorized(@Nullable String authorization) {
    if (authorization == null) {
      return false;
    }
    int space = authorization.indexOf(' ');
    if (space < 0) {
      return false;
    }
    String scheme = authorization.substring(0, space);
    String decoded;
    try {
      decoded =
          new String(
              Base64.getDecoder().decode(authorization.substring(space + 1).strip()),
              StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (scheme.equalsIgnoreCase("Basic") && basicUser != null) {
      return constantTimeEquals(decoded, basicUser + ":" + basicPassword);
    }
    if (scheme.equalsIgnoreCase("ApiKey") && apiKey != null) {
      return constantTimeEquals(decoded, apiKey);
    }
    return false;
  }

  private static boolean constantTimeEquals(String a, String b) {
    return MessageDigest.isEqual(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private static String schemeOf(@Nullable String authorization) {
    if (authorization == null || authorization.isBlank()) {
      return "none";
    }
    int space = authorization.indexOf(' ');
    return space < 0 ? authorization : authorization.substring(0, space);
  }

  private static void refuse(
      HttpExchange exchange, String method, String path, @Nullable String authorization)
      throws IOException {
    String challenge = "Basic realm=\"" + REALM + "\"";
    String reason =
        authorization == null
            ? "missing authentication credentials for REST request [" + path + "]"
            : "unable to authenticate with the provided credentials for REST request ["
                + path
                + "]";
    String cause =
        "{\"type\":\"security_exception\",\"reason\":\""
            + jsonEscape(reason)
            + "\",\"header\":{\"WWW-Authenticate\":\""
            + jsonEscape(challenge)
            + "\"}}";
    String body =
        "{\"error\":{\"root_cause\":["
            + cause
            + "],"
            + cause.substring(1, cause.length() - 1)
            + "},\"status\":401}";
    exchange.getResponseHeaders().set("WWW-Authenticate", challenge);
    send(exchange, method, 401, body);
  }

  private static void send(HttpExchange exchange, String method, int status, String json)
      throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
    if (method.equals("HEAD")) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String jsonEscape(String s) {
    StringBuilder out = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private void generateCertificate(List<String> names)
      throws IOException, GeneralSecurityException {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    List<String> command = new ArrayList<>();
    command.addAll(
        List.of(
            keytool.toString(),
            "-genkeypair",
            "-alias",
            ALIAS,
            "-keyalg",
            "RSA",
            "-keysize",
            "2048",
            "-validity",
            "7",
            "-dname",
            "CN=localhost",
            "-ext",
            "SAN=" + String.join(",", names),
            "-storetype",
            "PKCS12",
            "-keystore",
            keyStore.toString(),
            "-storepass",
            STORE_PASSWORD,
            "-keypass",
            STORE_PASSWORD));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output;
    try (InputStream in = process.getInputStream()) {
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    int exit;
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("keytool did not finish within 60 s");
      }
      exit = process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IOException("interrupted while waiting for keytool", e);
    }
    if (exit != 0) {
      throw new IOException("keytool failed (exit " + exit + "): " + output);
    }
    KeyStore keys = KeyStore.getInstance(keyStore.toFile(), STORE_PASSWORD.toCharArray());
    Certificate certificate = keys.getCertificate(ALIAS);
    String pem =
        "-----BEGIN CERTIFICATE-----\n"
            + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(certificate.getEncoded())
            + "\n-----END CERTIFICATE-----\n";
    Files.writeString(certificatePem, pem, StandardCharsets.US_ASCII);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry(ALIAS, certificate);
    try (OutputStream out = Files.newOutputStream(trustStore)) {
      trust.store(out, STORE_PASSWORD.toCharArray());
    }
  }

  private SSLContext serverContext() throws IOException, GeneralSecurityException {
    KeyStore keys = KeyStore.getInstance(keyStore.toFile(), STORE_PASSWORD.toCharArray());
    KeyManagerFactory factory =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    factory.init(keys, STORE_PASSWORD.toCharArray());
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(factory.getKeyManagers(), null, null);
    return context;
  }

  private static java.util.concurrent.ThreadFactory daemonThreads() {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "secure-front-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Configures a {@link SecureFront}. Setters check their argument at once. Not thread-safe. */
  public static final class Builder {
    private @Nullable URI target;
    private @Nullable String basicUser;
    private @Nullable String basicPassword;
    private @Nullable String apiKeyIdAndKey;
    private List<String> subjectAlternativeNames = List.of("dns:localhost", "ip:127.0.0.1");

    private Builder() {}

    /** The plain engine to forward to, such as {@code http://127.0.0.1:9200}. Required. */
    public Builder target(String url) {
      Objects.requireNonNull(url, "url");
      URI uri = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
      if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
        throw new IllegalArgumentException("target must be an http:// URL, was " + url);
      }
      this.target = uri;
      return this;
    }

    /** Accepts {@code Authorization: Basic base64(user:password)}. */
    public Builder basicAuth(String user, String password) {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(password, "password");
      if (user.isEmpty() || user.contains(":")) {
        throw new IllegalArgumentException("user must be non-empty and without ':', was " + user);
      }
      this.basicUser = user;
      this.basicPassword = password;
      return this;
    }

    /** Accepts {@code Authorization: ApiKey base64(id:key)}. */
    public Builder apiKey(String id, String key) {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(key, "key");
      if (id.isEmpty() || key.isEmpty()) {
        throw new IllegalArgumentException("apiKey id and key must not be empty");
      }
      this.apiKeyIdAndKey = id + ":" + key;
      return this;
    }

    /**
     * The certificate's subject alternative names in keytool's syntax (for example {@code
     * dns:search.invalid}); default {@code dns:localhost} and {@code ip:127.0.0.1}. Names that do
     * not match the address clients use let tests provoke a host name mismatch.
     */
    public Builder subjectAlternativeNames(String... names) {
      Objects.requireNonNull(names, "names");
      if (names.length == 0) {
        throw new IllegalArgumentException("names must not be empty");
      }
      for (String name : names) {
        Objects.requireNonNull(name, "name");
        if (!name.matches("(?i)(dns|ip):[A-Za-z0-9.:\\-]+")) {
          throw new IllegalArgumentException("not a dns: or ip: name: " + name);
        }
      }
      this.subjectAlternativeNames = List.of(names);
      return this;
    }

    /**
     * Generates the certificate and starts listening.
     *
     * @throws IllegalStateException without a target or credentials
     * @throws UncheckedIOException if keytool fails or no port can be bound
     */
    public SecureFront start() {
      if (target == null) {
        throw new IllegalStateException("target is required");
      }
      if (basicUser == null && apiKeyIdAndKey == null) {
        throw new IllegalStateException("basicAuth or apiKey is required");
      }
      try {
        return new SecureFront(this);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the secure front", e);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot set up the secure front's TLS", e);
      }
    }
  }
}
