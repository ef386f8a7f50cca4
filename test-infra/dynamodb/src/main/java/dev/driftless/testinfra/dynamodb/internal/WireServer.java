package dev.driftless.testinfra.dynamodb.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP front: {@code POST /} with JSON 1.0 bodies, routed by {@code X-Amz-Target} to the
 * DynamoDB or the DynamoDB Streams operations; scripted faults apply before the operation runs.
 */
public final class WireServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WireServer.class);
  private static final String DYNAMODB = "DynamoDB_20120810";
  private static final String STREAMS = "DynamoDBStreams_20120810";

  static {
    // Without TCP_NODELAY every small response waits out the client's delayed ACK (~40 ms). The JDK
    // server reads this once, when its first instance in the JVM is created.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final EmulatorState state;
  private final HttpServer server;
  private final ExecutorService executor;

  public WireServer(EmulatorState state) throws IOException {
    this.state = state;
    this.server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    AtomicInteger n = new AtomicInteger();
    this.executor =
        Executors.newFixedThreadPool(
            state.settings().httpThreads(),
            r -> {
              Thread t = new Thread(r, "dynamodb-emulator-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/", this::exchange);
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void exchange(HttpExchange ex) throws IOException {
    try (ex) {
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readAllBytes();
      }
      try {
        Answer answer = route(ex, body);
        if (answer == null) {
          // the connection reset fault: the JDK server closes the connection on an IOException
          throw new IOException("injected connection reset");
        }
        send(ex, 200, Json.MAPPER.writeValueAsBytes(answer.body()), answer.corruptCrc32());
      } catch (ApiError e) {
        ObjectNode err = Json.object();
        err.put("__type", e.type());
        err.put("message", e.getMessage());
        ObjectNode extra = e.extra();
        if (extra != null) {
          for (Map.Entry<String, JsonNode> f : extra.properties()) {
            err.set(f.getKey(), f.getValue());
          }
        }
        send(ex, e.status(), Json.MAPPER.writeValueAsBytes(err), false);
      } catch (RuntimeException e) {
        LOG.error(
            "emulator bug while serving {}", ex.getRequestHeaders().getFirst("X-Amz-Target"), e);
        ObjectNode err = Json.object();
        err.put("__type", "com.amazonaws.dynamodb.v20120810#InternalServerError");
        err.put("message", "emulator failure: " + e);
        send(ex, 500, Json.MAPPER.writeValueAsBytes(err), false);
      }
    }
  }

  /** A successful answer, and whether the corrupt-checksum fault applies to it. */
  private record Answer(ObjectNode body, boolean corruptCrc32) {}

  private @Nullable Answer route(HttpExchange ex, byte[] body) {
    if (!ex.getRequestMethod().equals("POST")) {
      throw ApiError.unknownOperation("Only POST / is served");
    }
    String target = ex.getRequestHeaders().getFirst("X-Amz-Target");
    int dot = target == null ? -1 : target.indexOf('.');
    if (target == null || dot < 0) {
      throw ApiError.unknownOperation("Missing or malformed X-Amz-Target");
    }
    String service = target.substring(0, dot);
    String operation = target.substring(dot + 1);
    if (!service.equals(DYNAMODB) && !service.equals(STREAMS)) {
      throw ApiError.unknownOperation("Unknown service " + service);
    }
    JsonNode request;
    try {
      request = body.length == 0 ? Json.object() : Json.MAPPER.readTree(body);
    } catch (IOException e) {
      throw ApiError.serialization("Start of structure or map found where not expected");
    }
    if (request == null || !request.isObject()) {
      throw ApiError.serialization("The request body must be a JSON object");
    }
    state.count(operation);
    state.hooks().before(operation);
    Faults.Rule fault = state.faults().match(operation, StreamsOps.shardOf(operation, request));
    boolean corrupt = false;
    boolean partial = false;
    if (fault != null) {
      sleep(fault.delay().toMillis());
      switch (fault.kind()) {
        case THROTTLING -> throw ApiError.throttling("Rate exceeded (injected)");
        case LIMIT_EXCEEDED ->
            throw ApiError.service("LimitExceededException", "Limit exceeded (injected)");
        case PROVISIONED_THROUGHPUT_EXCEEDED ->
            throw ApiError.service(
                "ProvisionedThroughputExceededException",
                "The level of configured provisioned throughput for the table was exceeded (injected)");
        case INTERNAL_SERVER_ERROR ->
            throw ApiError.service("InternalServerError", "Internal server error (injected)");
        case EXPIRED_ITERATOR ->
            throw ApiError.service("ExpiredIteratorException", "Iterator expired (injected)");
        case TRIMMED_DATA_ACCESS ->
            throw ApiError.service("TrimmedDataAccessException", "The data was trimmed (injected)");
        case CONNECTION_RESET -> {
          reset(ex);
          return null;
        }
        case CORRUPT_CRC32 -> corrupt = true;
        case UNPROCESSED_KEYS -> partial = operation.equals("BatchGetItem");
        case DELAY_ONLY -> {}
      }
    }
    if (partial) {
      PartialBatchGet split = PartialBatchGet.of(request);
      return new Answer(split.answer(state.handle(service, operation, split.processed())), corrupt);
    }
    return new Answer(state.handle(service, operation, request), corrupt);
  }

  private static void sleep(long millis) {
    if (millis <= 0) {
      return;
    }
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Promises a body and sends only its start; the caller then fails the exchange so the server
   * drops the connection, as a reset looks to the client.
   */
  private static void reset(HttpExchange ex) {
    try {
      ex.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.0");
      ex.sendResponseHeaders(200, 1024);
      OutputStream out = ex.getResponseBody();
      out.write("{\"Reco".getBytes(StandardCharsets.UTF_8));
      out.flush();
    } catch (IOException expected) {
      // the short body is the point
    }
  }

  private void send(HttpExchange ex, int status, byte[] bytes, boolean corrupt) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.0");
    ex.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
    if (state.behaviour().crc32 || corrupt) {
      CRC32 crc = new CRC32();
      crc.update(bytes);
      long value = corrupt ? (crc.getValue() + 1) & 0xFFFFFFFFL : crc.getValue();
      ex.getResponseHeaders().set("x-amz-crc32", Long.toString(value));
    }
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }
}
