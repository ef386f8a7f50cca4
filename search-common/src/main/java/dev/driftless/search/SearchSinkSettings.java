package dev.driftless.search;

import dev.driftless.search.internal.RoutingCheck;
import dev.driftless.search.internal.SearchSink;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Vendor-neutral settings of a {@link SearchSink}. Immutable; built with {@link #builder()}, whose
 * setters check their argument at once and whose {@link Builder#build()} checks the rules between
 * settings.
 *
 * @param routing collection to index or alias name
 * @param mappings per-collection user mappings, merged with the metadata fields
 * @param defaultMapping the merged mapping for collections without their own
 * @param indexSettingsJson settings of indices Driftless creates, or {@code null}
 * @param collections collections whose indices are checked or created at start
 * @param maxRequestBytes upper bound of one {@code _bulk} body (a single larger item goes alone)
 * @param maxRequestItems upper bound of items in one {@code _bulk} request
 * @param tombstones whether deletes write tombstones instead of deleting
 * @param liveAliasSuffix in tombstone mode, the suffix of the filtered alias readers use
 * @param tombstoneHorizon how long tombstones are kept before {@link SearchSink#purgeTombstones()}
 *     may remove them
 * @param tombstonePurgeInterval how often tombstones are purged in the background, or {@code null}
 *     for never (call {@link SearchSink#purgeTombstones()} yourself)
 * @param listPageSize page size of reconciliation key listing
 * @param clock the clock tombstone timestamps and the horizon are read from
 */
public record SearchSinkSettings(
    IndexRouting routing,
    Map<String, IndexMapping> mappings,
    IndexMapping defaultMapping,
    @Nullable String indexSettingsJson,
    Set<String> collections,
    long maxRequestBytes,
    int maxRequestItems,
    boolean tombstones,
    String liveAliasSuffix,
    Duration tombstoneHorizon,
    @Nullable Duration tombstonePurgeInterval,
    int listPageSize,
    Clock clock) {

  /** 5 MiB. */
  public static final long DEFAULT_MAX_REQUEST_BYTES = 5L * 1024 * 1024;

  /** 1,000. */
  public static final int DEFAULT_MAX_REQUEST_ITEMS = 1000;

  public SearchSinkSettings {
    Objects.requireNonNull(routing, "routing");
    mappings = Map.copyOf(mappings);
    Objects.requireNonNull(defaultMapping, "defaultMapping");
    collections = Set.copyOf(collections);
    Objects.requireNonNull(liveAliasSuffix, "liveAliasSuffix");
    Objects.requireNonNull(tombstoneHorizon, "tombstoneHorizon");
    Objects.requireNonNull(clock, "clock");
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these settings. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.routing = routing;
    b.mappings.putAll(mappings);
    b.defaultMapping = defaultMapping;
    b.indexSettingsJson = indexSettingsJson;
    b.collections.addAll(collections);
    b.maxRequestBytes = maxRequestBytes;
    b.maxRequestItems = maxRequestItems;
    b.tombstones = tombstones;
    b.liveAliasSuffix = liveAliasSuffix;
    b.tombstoneHorizon = tombstoneHorizon;
    b.tombstonePurgeInterval = tombstonePurgeInterval;
    b.listPageSize = listPageSize;
    b.clock = clock;
    return b;
  }

  /** The merged mapping for {@code collection}. */
  public IndexMapping mappingFor(String collection) {
    IndexMapping m = mappings.get(collection);
    return m != null ? m : defaultMapping;
  }

  /** Builds {@link SearchSinkSettings}. Not thread-safe. */
  public static final class Builder {
    private IndexRouting routing = IndexRouting.prefixed("");
    private final Map<String, IndexMapping> mappings = new LinkedHashMap<>();
    private IndexMapping defaultMapping = IndexMapping.merge(null);
    private @Nullable String indexSettingsJson;
    private final Set<String> collections = new LinkedHashSet<>();
    private long maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
    private int maxRequestItems = DEFAULT_MAX_REQUEST_ITEMS;
    private boolean tombstones;
    private String liveAliasSuffix = "-live";
    private Duration tombstoneHorizon = Duration.ofDays(7);
    private @Nullable Duration tombstonePurgeInterval;
    private int listPageSize = 1000;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** Where each collection goes; default: the lower-cased collection name. */
    public Builder routing(IndexRouting routing) {
      this.routing = Objects.requireNonNull(routing, "routing");
      return this;
    }

    /**
     * The user's mapping for one collection's index (a JSON object such as {@code {"properties":
     * {...}}}), used only when Driftless creates the index.
     *
     * @throws IllegalArgumentException if it is not a JSON object or maps a metadata field to
     *     another type
     */
    public Builder mapping(String collection, String mappingJson) {
      Objects.requireNonNull(collection, "collection");
      Objects.requireNonNull(mappingJson, "mappingJson");
      mappings.put(collection, wrap("mapping for " + collection, mappingJson));
      return this;
    }

    /** The user's mapping for every collection without its own {@link #mapping}. */
    public Builder defaultMapping(String mappingJson) {
      Objects.requireNonNull(mappingJson, "mappingJson");
      this.defaultMapping = wrap("defaultMapping", mappingJson);
      return this;
    }

    /** Settings of created indices, e.g. {@code {"number_of_shards": 1}}; default none. */
    public Builder indexSettings(String settingsJson) {
      Objects.requireNonNull(settingsJson, "settingsJson");
      try {
        IndexMapping.parseObject(settingsJson, "indexSettings");
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("indexSettings: " + e.getMessage(), e);
      }
      this.indexSettingsJson = settingsJson;
      return this;
    }

    /** Collections whose indices are checked (or created) when the sink starts. */
    public Builder collections(List<String> names) {
      Objects.requireNonNull(names, "names");
      for (String n : names) {
        Objects.requireNonNull(n, "collection name");
        if (n.isBlank()) {
          throw new IllegalArgumentException("collections: a collection name is blank");
        }
        collections.add(n);
      }
      return this;
    }

    /** Upper bound of a {@code _bulk} body in bytes; at least 1 KiB; default 5 MiB. */
    public Builder maxRequestBytes(long bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxRequestBytes must be at least 1024, was " + bytes);
      }
      this.maxRequestBytes = bytes;
      return this;
    }

    /** Upper bound of items per {@code _bulk} request; at least 1; default 1,000. */
    public Builder maxRequestItems(int items) {
      if (items < 1) {
        throw new IllegalArgumentException("maxRequestItems must be at least 1, was " + items);
      }
      this.maxRequestItems = items;
      return this;
    }

    /**
     * Whether deletes write versioned tombstones, hidden from readers by a filtered alias, instead
     * of deleting (default false). Needed when a deleted key's version must outlive {@code
     * index.gc_deletes} (60 s) and node restarts.
     */
    public Builder tombstones(boolean enabled) {
      this.tombstones = enabled;
      return this;
    }

    /**
     * In tombstone mode, readers search {@code index + suffix}, an alias that filters tombstones
     * out. Default {@code "-live"}.
     */
    public Builder liveAliasSuffix(String suffix) {
      Objects.requireNonNull(suffix, "suffix");
      if (suffix.isEmpty()) {
        throw new IllegalArgumentException("liveAliasSuffix must not be empty");
      }
      IndexRouting.validateName("x" + suffix);
      this.liveAliasSuffix = suffix;
      return this;
    }

    /** How old a tombstone must be before a purge removes it; positive; default 7 days. */
    public Builder tombstoneHorizon(Duration horizon) {
      Objects.requireNonNull(horizon, "horizon");
      if (horizon.isNegative() || horizon.isZero()) {
        throw new IllegalArgumentException("tombstoneHorizon must be positive, was " + horizon);
      }
      this.tombstoneHorizon = horizon;
      return this;
    }

    /** Purge tombstones in the background this often; positive; default never. */
    public Builder tombstonePurgeInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException(
            "tombstonePurgeInterval must be positive, was " + interval);
      }
      this.tombstonePurgeInterval = interval;
      return this;
    }

    /** Keys fetched per page when listing for reconciliation; 1..10,000; default 1,000. */
    public Builder listPageSize(int size) {
      if (size < 1 || size > 10_000) {
        throw new IllegalArgumentException("listPageSize must be in [1, 10000], was " + size);
      }
      this.listPageSize = size;
      return this;
    }

    /** The clock for tombstone timestamps; default the UTC system clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The settings.
     *
     * @throws IllegalStateException if tombstone settings are given without tombstone mode, or
     *     {@link #routing} sends a collection of {@link #collections} or {@link #mapping} to an
     *     invalid index name or two of them to one index
     */
    public SearchSinkSettings build() {
      if (!tombstones && tombstonePurgeInterval != null) {
        throw new IllegalStateException(
            "tombstonePurgeInterval is set but tombstones are off: enable tombstones(true)");
      }
      Set<String> known = new LinkedHashSet<>(collections);
      known.addAll(mappings.keySet());
      RoutingCheck.check(routing, known);
      return new SearchSinkSettings(
          routing,
          mappings,
          defaultMapping,
          indexSettingsJson,
          collections,
          maxRequestBytes,
          maxRequestItems,
          tombstones,
          liveAliasSuffix,
          tombstoneHorizon,
          tombstonePurgeInterval,
          listPageSize,
          clock);
    }

    private static IndexMapping wrap(String setting, String json) {
      try {
        return IndexMapping.merge(json);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(setting + ": " + e.getMessage(), e);
      }
    }
  }
}
