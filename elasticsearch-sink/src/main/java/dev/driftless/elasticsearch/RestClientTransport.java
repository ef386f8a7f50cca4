package dev.driftless.elasticsearch;

import dev.driftless.core.RetriableException;
import dev.driftless.search.internal.BodyWriter;
import dev.driftless.search.internal.SearchTransport;
import dev.driftless.search.internal.TlsConfigurationFailure;
import dev.driftless.search.internal.TransportResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.http.HttpEntity;
import org.apache.http.entity.ByteArrayEntity;
import org.apache.http.entity.ContentType;
import org.apache.http.util.EntityUtils;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.RestClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SearchTransport} over the low-level {@link RestClient}: every HTTP answer becomes a {@link
 * TransportResponse}, every failure to get one a {@link RetriableException}, except a server
 * certificate that is not trusted or does not name the host: a {@link
 * dev.driftless.core.ConfigurationException} (see {@link TlsConfigurationFailure}).
 *
 * <p>Thread-safe, as {@link RestClient} is. Closes the client only if it built it.
 */
final class RestClientTransport implements SearchTransport {

  private static final Logger LOG = LoggerFactory.getLogger(RestClientTransport.class);
  private static final int MAX_REMEMBERED_WARNINGS = 100;
  private static final String TRUST_SETTINGS =
      "ElasticsearchSink.builder().trustCertificates(pem) or trustStore(path, password) (or your"
          + " RestClient's SSL context)";

  private final RestClient client;
  private final boolean ownsClient;
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  RestClientTransport(RestClient client, boolean ownsClient) {
    this.client = client;
    this.ownsClient = ownsClient;
  }

  @Override
  public TransportResponse perform(
      String method, String path, Map<String, String> params, @Nullable BodyWriter body) {
    Request request = new Request(method, path);
    params.forEach(request::addParameter);
    if (body != null) {
      request.setEntity(entity(body));
    }
    Response response;
    try {
      response = client.performRequest(request);
    } catch (ResponseException e) {
      // The client throws for non-2xx statuses; classifying them is the caller's job.
      response = e.getResponse();
    } catch (IOException e) {
      // An untrusted certificate or a host name it does not name never heals by retrying.
      throw TlsConfigurationFailure.of(e, method + " " + path, TRUST_SETTINGS)
          .orElseGet(
              () ->
                  new RetriableException(
                      "no answer from Elasticsearch to " + method + " " + path + ": " + e, e));
    }
    logWarnings(response.getWarnings());
    HttpEntity entity = response.getEntity();
    byte[] bytes;
    try {
      bytes = entity == null ? new byte[0] : EntityUtils.toByteArray(entity);
    } catch (IOException e) {
      throw new RetriableException(
          "connection lost while reading Elasticsearch's answer to " + method + " " + path, e);
    }
    return new TransportResponse(response.getStatusLine().getStatusCode(), bytes);
  }

  @Override
  public void close() {
    if (!ownsClient) {
      return;
    }
    try {
      client.close();
    } catch (IOException e) {
      LOG.warn("closing the Elasticsearch REST client failed", e);
    }
  }

  private static HttpEntity entity(BodyWriter body) {
    long length = body.contentLength();
    ExposedBuffer buffer =
        new ExposedBuffer(length >= 0 && length < Integer.MAX_VALUE - 8 ? (int) length : 8192);
    try {
      body.writeTo(buffer);
    } catch (IOException e) {
      // Writing to memory does not fail; a BodyWriter that does is broken.
      throw new IllegalStateException("request body could not be written", e);
    }
    return new ByteArrayEntity(
        buffer.bytes(), 0, buffer.size(), ContentType.create(body.contentType()));
  }

  private void logWarnings(List<String> warnings) {
    // Deprecation warnings tell what will break on the next major version: say each once.
    for (String warning : warnings) {
      if (warned.size() < MAX_REMEMBERED_WARNINGS && warned.add(warning)) {
        LOG.warn("Elasticsearch warns: {}", warning);
      }
    }
  }

  /** Lets the entity wrap the written bytes without one more copy. */
  private static final class ExposedBuffer extends ByteArrayOutputStream {
    ExposedBuffer(int size) {
      super(size);
    }

    byte[] bytes() {
      return buf;
    }
  }
}
