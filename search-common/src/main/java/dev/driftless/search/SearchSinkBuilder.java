package dev.driftless.search;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the OpenSearch and Elasticsearch sink builders share: every setting but the vendor's own
 * client, with one name and one parsing for both engines, so that moving from one engine to the
 * other is a rename of the builder. Connection settings go to a {@link ClientSettings}, the rest to
 * a {@link SearchSinkSettings}; a vendor builder only translates the built {@link ClientSettings}
 * for its client. Setters check their argument at once; {@code build()} checks how settings
 * combine, naming them. Not thread-safe.
 *
 * @param <B> the vendor builder, returned by every setter
 */
public abstract class SearchSinkBuilder<B extends SearchSinkBuilder<B>> {

  private final ClientSettings.Builder connection = ClientSettings.builder();
  private SearchSinkSettings.Builder settings = SearchSinkSettings.builder();

  protected SearchSinkBuilder() {}

  /** This builder, as its vendor type. */
  protected abstract B self();

  // ---- connection: see ClientSettings.Builder

  /** See {@link ClientSettings.Builder#hosts(String...)}; replaces hosts given before. */
  public B hosts(String... urls) {
    connection.hosts(urls);
    return self();
  }

  /** See {@link ClientSettings.Builder#hosts(Collection)}; replaces hosts given before. */
  public B hosts(Collection<String> urls) {
    connection.hosts(urls);
    return self();
  }

  /** See {@link ClientSettings.Builder#basicAuth}. */
  public B basicAuth(String username, String password) {
    connection.basicAuth(username, password);
    return self();
  }

  /** See {@link ClientSettings.Builder#apiKey(String)}. */
  public B apiKey(String encoded) {
    connection.apiKey(encoded);
    return self();
  }

  /** See {@link ClientSettings.Builder#apiKey(String, String)}. */
  public B apiKey(String id, String key) {
    connection.apiKey(id, key);
    return self();
  }

  /** See {@link ClientSettings.Builder#trustStore}. */
  public B trustStore(Path path, char[] password) {
    connection.trustStore(path, password);
    return self();
  }

  /** See {@link ClientSettings.Builder#trustCertificates}. */
  public B trustCertificates(Path pemFile) {
    connection.trustCertificates(pemFile);
    return self();
  }

  /** See {@link ClientSettings.Builder#insecureTrustAllCertificates}. */
  public B insecureTrustAllCertificates(boolean enabled) {
    connection.insecureTrustAllCertificates(enabled);
    return self();
  }

  /** See {@link ClientSettings.Builder#connectTimeout}. */
  public B connectTimeout(Duration timeout) {
    connection.connectTimeout(timeout);
    return self();
  }

  /** See {@link ClientSettings.Builder#responseTimeout}. */
  public B responseTimeout(Duration timeout) {
    connection.responseTimeout(timeout);
    return self();
  }

  /** See {@link ClientSettings.Builder#compression}. */
  public B compression(boolean enabled) {
    connection.compression(enabled);
    return self();
  }

  // ---- engine-neutral: see SearchSinkSettings.Builder

  /**
   * Starts the engine-neutral settings over from {@code settings}, dropping those given before;
   * setters called afterwards change them further.
   */
  public B settings(SearchSinkSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings").toBuilder();
    return self();
  }

  /** See {@link SearchSinkSettings.Builder#routing}. */
  public B routing(IndexRouting routing) {
    settings.routing(routing);
    return self();
  }

  /** See {@link SearchSinkSettings.Builder#mapping}. */
  public B mapping(String collection, String mappingJson) {
    settings.mapping(collection, mappingJson);
    return self();
  }

  /** See {@link SearchSinkSettings.Builder#defaultMapping}. */
  public B defaultMapping(String mappingJson) {
    settings.defaultMapping(mappingJson);
    return self();
  }

  /** See {@link SearchSinkSettings.Builder#indexSettings}. */
  public B indexSettings(String settingsJson) {
    settings.indexSettings(settingsJson);
    return self();
  }

  /** See {@link SearchSinkSettings.Builder#collections}. */
  public B collections(String... names) {
    settings.collections(List.of(Objects.requireNonNull(names, "names")));
    return self();
  }

  /** See {@link SearchSinkSettings.Builder#maxRequestBytes}. */
  public B maxRequestBytes(long bytes) {
    settings.maxRequestBytes(bytes);
    return self();
  }

  /** See {@link SearchSinkSettings.Builder#maxRequestItems}. */
  public B maxRequestItems(int items) {
    settings.maxRequestItems(items);
    return self();
  }

  /** See {@link SearchSinkSettings.Builder#tombstones}. */
  public B tombstones(boolean enabled) {
    settings.tombstones(enabled);
    return self();
  }

  /** See {@link SearchSinkSettings.Builder#liveAliasSuffix}. */
  public B liveAliasSuffix(String suffix) {
    settings.liveAliasSuffix(suffix);
    return self();
  }

  /** See {@link SearchSinkSettings.Builder#tombstoneHorizon}. */
  public B tombstoneHorizon(Duration horizon) {
    settings.tombstoneHorizon(horizon);
    return self();
  }

  /** See {@link SearchSinkSettings.Builder#tombstonePurgeInterval}. */
  public B tombstonePurgeInterval(Duration interval) {
    settings.tombstonePurgeInterval(interval);
    return self();
  }

  /** See {@link SearchSinkSettings.Builder#listPageSize}. */
  public B listPageSize(int size) {
    settings.listPageSize(size);
    return self();
  }

  /** See {@link SearchSinkSettings.Builder#clock}. */
  public B clock(Clock clock) {
    settings.clock(clock);
    return self();
  }

  // ---- for the vendor builder's build()

  /**
   * The engine-neutral settings.
   *
   * @throws IllegalStateException naming the settings that conflict
   */
  protected final SearchSinkSettings sinkSettings() {
    return settings.build();
  }

  /**
   * The connection settings when the sink builds its own client, or {@code null} when the user
   * handed in theirs ({@code clientGiven}), which must then be the only connection setting.
   *
   * @throws IllegalStateException naming the settings that conflict or are missing
   */
  protected final @Nullable ClientSettings clientSettings(boolean clientGiven) {
    List<String> given = connection.settingsGiven();
    if (clientGiven) {
      if (given.contains("hosts")) {
        throw new IllegalStateException(
            "client and hosts are exclusive: the client already knows its hosts");
      }
      if (!given.isEmpty()) {
        throw new IllegalStateException(
            String.join(", ", given)
                + (given.size() == 1 ? " applies" : " apply")
                + " only to a client the sink builds from hosts; configure your own client"
                + " instead, or leave out client(...)");
      }
      return null;
    }
    if (!given.contains("hosts")) {
      throw new IllegalStateException("either client(...) or hosts(...) is required");
    }
    return connection.build();
  }
}
