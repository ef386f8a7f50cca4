package dev.driftless.spring.boot;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code driftless.*} properties: one pipeline from a PostgreSQL source to an OpenSearch or
 * Elasticsearch index, its dead-letter store, and reconciliation schedules. Each setting maps to a
 * builder setting of the same name (see docs/spring-boot.md for the table); a value the builder
 * refuses fails start-up with a message naming the property.
 *
 * <p>Plain mutable properties bound by Spring Boot; read it, do not change it after start-up.
 */
@ConfigurationProperties("driftless")
public class DriftlessProperties {

  /** Whether the starter configures a pipeline at all. */
  private boolean enabled = true;

  /**
   * Whether the pipeline starts with the application context; else start the {@code
   * driftlessLifecycle} bean (a {@code SmartLifecycle}) yourself.
   */
  private boolean autoStartup = true;

  private final PipelineProperties pipeline = new PipelineProperties();
  private final PostgresProperties postgres = new PostgresProperties();
  private final SearchProperties opensearch = new SearchProperties();
  private final SearchProperties elasticsearch = new SearchProperties();
  private final DeadLetterProperties deadLetters = new DeadLetterProperties();
  private final CheckpointProperties checkpoint = new CheckpointProperties();
  private final HealthProperties health = new HealthProperties();
  private final Map<String, ReconciliationProperties> reconciliation = new LinkedHashMap<>();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public boolean isAutoStartup() {
    return autoStartup;
  }

  public void setAutoStartup(boolean autoStartup) {
    this.autoStartup = autoStartup;
  }

  public PipelineProperties getPipeline() {
    return pipeline;
  }

  public PostgresProperties getPostgres() {
    return postgres;
  }

  public SearchProperties getOpensearch() {
    return opensearch;
  }

  public SearchProperties getElasticsearch() {
    return elasticsearch;
  }

  public DeadLetterProperties getDeadLetters() {
    return deadLetters;
  }

  public CheckpointProperties getCheckpoint() {
    return checkpoint;
  }

  public HealthProperties getHealth() {
    return health;
  }

  /** Reconciliation schedules by collection ({@code driftless.reconciliation.orders.interval}). */
  public Map<String, ReconciliationProperties> getReconciliation() {
    return reconciliation;
  }

  /** {@code driftless.pipeline.*}: the {@code Pipeline.Builder} settings. */
  public static class PipelineProperties {
    private String name = "driftless";
    private @Nullable Integer batchSize;
    private @Nullable Integer parallelism;
    private @Nullable Integer maxInFlightEvents;
    private @Nullable Duration linger;
    private @Nullable Duration commitInterval;
    private @Nullable Duration drainTimeout;
    private @Nullable Duration outageDeadline;

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public @Nullable Integer getBatchSize() {
      return batchSize;
    }

    public void setBatchSize(@Nullable Integer batchSize) {
      this.batchSize = batchSize;
    }

    public @Nullable Integer getParallelism() {
      return parallelism;
    }

    public void setParallelism(@Nullable Integer parallelism) {
      this.parallelism = parallelism;
    }

    public @Nullable Integer getMaxInFlightEvents() {
      return maxInFlightEvents;
    }

    public void setMaxInFlightEvents(@Nullable Integer maxInFlightEvents) {
      this.maxInFlightEvents = maxInFlightEvents;
    }

    public @Nullable Duration getLinger() {
      return linger;
    }

    public void setLinger(@Nullable Duration linger) {
      this.linger = linger;
    }

    public @Nullable Duration getCommitInterval() {
      return commitInterval;
    }

    public void setCommitInterval(@Nullable Duration commitInterval) {
      this.commitInterval = commitInterval;
    }

    public @Nullable Duration getDrainTimeout() {
      return drainTimeout;
    }

    public void setDrainTimeout(@Nullable Duration drainTimeout) {
      this.drainTimeout = drainTimeout;
    }

    public @Nullable Duration getOutageDeadline() {
      return outageDeadline;
    }

    public void setOutageDeadline(@Nullable Duration outageDeadline) {
      this.outageDeadline = outageDeadline;
    }
  }

  /**
   * {@code driftless.postgres.*}: the {@code PostgresSource} settings. Without {@code url}, the
   * application's {@code spring.datasource.url}, {@code username} and {@code password} are used for
   * the replication connection; the application's {@code DataSource} bean, when there is one,
   * serves every other connection.
   */
  public static class PostgresProperties {
    private @Nullable String url;
    private @Nullable String username;
    private @Nullable String password;
    private @Nullable String slotName;
    private @Nullable String publication;
    private List<String> tables = new ArrayList<>();
    private boolean createSlot = true;
    private boolean createPublication = true;
    private boolean resyncOnSlotLoss;
    private boolean standby;
    private @Nullable Duration takeoverTimeout;
    private @Nullable Duration heartbeatInterval;
    private final BackfillProperties backfill = new BackfillProperties();

    public @Nullable String getUrl() {
      return url;
    }

    public void setUrl(@Nullable String url) {
      this.url = url;
    }

    public @Nullable String getUsername() {
      return username;
    }

    public void setUsername(@Nullable String username) {
      this.username = username;
    }

    public @Nullable String getPassword() {
      return password;
    }

    public void setPassword(@Nullable String password) {
      this.password = password;
    }

    public @Nullable String getSlotName() {
      return slotName;
    }

    public void setSlotName(@Nullable String slotName) {
      this.slotName = slotName;
    }

    public @Nullable String getPublication() {
      return publication;
    }

    public void setPublication(@Nullable String publication) {
      this.publication = publication;
    }

    public List<String> getTables() {
      return tables;
    }

    public void setTables(List<String> tables) {
      this.tables = tables;
    }

    public boolean isCreateSlot() {
      return createSlot;
    }

    public void setCreateSlot(boolean createSlot) {
      this.createSlot = createSlot;
    }

    public boolean isCreatePublication() {
      return createPublication;
    }

    public void setCreatePublication(boolean createPublication) {
      this.createPublication = createPublication;
    }

    public boolean isResyncOnSlotLoss() {
      return resyncOnSlotLoss;
    }

    public void setResyncOnSlotLoss(boolean resyncOnSlotLoss) {
      this.resyncOnSlotLoss = resyncOnSlotLoss;
    }

    public boolean isStandby() {
      return standby;
    }

    public void setStandby(boolean standby) {
      this.standby = standby;
    }

    public @Nullable Duration getTakeoverTimeout() {
      return takeoverTimeout;
    }

    public void setTakeoverTimeout(@Nullable Duration takeoverTimeout) {
      this.takeoverTimeout = takeoverTimeout;
    }

    public @Nullable Duration getHeartbeatInterval() {
      return heartbeatInterval;
    }

    public void setHeartbeatInterval(@Nullable Duration heartbeatInterval) {
      this.heartbeatInterval = heartbeatInterval;
    }

    public BackfillProperties getBackfill() {
      return backfill;
    }
  }

  /** {@code driftless.postgres.backfill.*}: copying the tables' current rows at first start. */
  public static class BackfillProperties {
    private boolean enabled;
    private List<String> tables = new ArrayList<>();
    private int chunkRows = 1000;
    private int rowsPerSecond;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public List<String> getTables() {
      return tables;
    }

    public void setTables(List<String> tables) {
      this.tables = tables;
    }

    public int getChunkRows() {
      return chunkRows;
    }

    public void setChunkRows(int chunkRows) {
      this.chunkRows = chunkRows;
    }

    public int getRowsPerSecond() {
      return rowsPerSecond;
    }

    public void setRowsPerSecond(int rowsPerSecond) {
      this.rowsPerSecond = rowsPerSecond;
    }
  }

  /**
   * {@code driftless.opensearch.*} or {@code driftless.elasticsearch.*}: where the index is. Set
   * exactly one of the two, matching the sink module on the class path.
   */
  public static class SearchProperties {
    private List<String> hosts = new ArrayList<>();
    private @Nullable String username;
    private @Nullable String password;
    private @Nullable String apiKey;
    private String indexPrefix = "";
    private @Nullable Path trustCertificates;

    public List<String> getHosts() {
      return hosts;
    }

    public void setHosts(List<String> hosts) {
      this.hosts = hosts;
    }

    public @Nullable String getUsername() {
      return username;
    }

    public void setUsername(@Nullable String username) {
      this.username = username;
    }

    public @Nullable String getPassword() {
      return password;
    }

    public void setPassword(@Nullable String password) {
      this.password = password;
    }

    public @Nullable String getApiKey() {
      return apiKey;
    }

    public void setApiKey(@Nullable String apiKey) {
      this.apiKey = apiKey;
    }

    public String getIndexPrefix() {
      return indexPrefix;
    }

    public void setIndexPrefix(String indexPrefix) {
      this.indexPrefix = indexPrefix;
    }

    public @Nullable Path getTrustCertificates() {
      return trustCertificates;
    }

    public void setTrustCertificates(@Nullable Path trustCertificates) {
      this.trustCertificates = trustCertificates;
    }

    /** Whether any connection setting is given. */
    public boolean isConfigured() {
      return !hosts.isEmpty() || username != null || apiKey != null;
    }
  }

  /** {@code driftless.dead-letters.*}: the durable dead-letter file. */
  public static class DeadLetterProperties {
    private @Nullable Path path;

    public @Nullable Path getPath() {
      return path;
    }

    public void setPath(@Nullable Path path) {
      this.path = path;
    }
  }

  /**
   * {@code driftless.checkpoint.*}: a directory for a {@code FileCheckpointStore}. Not needed for
   * PostgreSQL, which keeps its position in the slot and its backfill progress in the database.
   */
  public static class CheckpointProperties {
    private @Nullable Path directory;

    public @Nullable Path getDirectory() {
      return directory;
    }

    public void setDirectory(@Nullable Path directory) {
      this.directory = directory;
    }
  }

  /** {@code driftless.health.*}: how the health indicator reports an outage or throttling. */
  public static class HealthProperties {
    private String degradedStatus = "UP";
    private Duration throttleWindow = Duration.ofMinutes(1);

    /** The status reported while a side is in an outage or the sink throttles. Default UP. */
    public String getDegradedStatus() {
      return degradedStatus;
    }

    public void setDegradedStatus(String degradedStatus) {
      this.degradedStatus = degradedStatus;
    }

    /** How long after the last throttling signal the pipeline still counts as throttled. */
    public Duration getThrottleWindow() {
      return throttleWindow;
    }

    public void setThrottleWindow(Duration throttleWindow) {
      this.throttleWindow = throttleWindow;
    }
  }

  /** {@code driftless.reconciliation.<collection>.*}: one collection's schedule. */
  public static class ReconciliationProperties {
    private @Nullable Duration interval;
    private @Nullable Duration verifyDelay;

    /** How often to reconcile; unset: only on demand (the endpoint) and after a resync. */
    public @Nullable Duration getInterval() {
      return interval;
    }

    public void setInterval(@Nullable Duration interval) {
      this.interval = interval;
    }

    public @Nullable Duration getVerifyDelay() {
      return verifyDelay;
    }

    public void setVerifyDelay(@Nullable Duration verifyDelay) {
      this.verifyDelay = verifyDelay;
    }
  }
}
