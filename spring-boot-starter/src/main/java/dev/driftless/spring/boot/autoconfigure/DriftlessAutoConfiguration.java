package dev.driftless.spring.boot.autoconfigure;

import static dev.driftless.spring.boot.internal.PropertyChecks.missing;
import static dev.driftless.spring.boot.internal.PropertyChecks.property;

import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineListener;
import dev.driftless.core.spi.ChangeSource;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.DeadLetterStore;
import dev.driftless.core.spi.DocumentMapper;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.stores.FileCheckpointStore;
import dev.driftless.core.stores.FileDeadLetterStore;
import dev.driftless.postgres.PostgresDatabase;
import dev.driftless.spring.boot.DriftlessProperties;
import dev.driftless.spring.boot.DriftlessProperties.PipelineProperties;
import dev.driftless.spring.boot.DriftlessReconcilers;
import dev.driftless.spring.boot.internal.PipelineLifecycle;
import dev.driftless.spring.boot.internal.PostgresSources;
import dev.driftless.spring.boot.internal.Reconcilers;
import dev.driftless.spring.boot.internal.SearchSinks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * A pipeline from {@code driftless.*}: a PostgreSQL source, an OpenSearch or Elasticsearch sink, a
 * file dead-letter store, the application's {@link DocumentMapper} bean, a lifecycle that starts it
 * with the context and drains it on shutdown, and reconciliation schedules. Every bean gives way to
 * one the application declares (of the same type; a {@link Pipeline} bean replaces them all).
 */
@AutoConfiguration(
    afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@ConditionalOnClass(Pipeline.class)
@ConditionalOnBooleanProperty(name = "driftless.enabled", matchIfMissing = true)
@EnableConfigurationProperties(DriftlessProperties.class)
public class DriftlessAutoConfiguration {

  /** The parts of the pipeline, unless the application declares the {@link Pipeline} itself. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnMissingBean(Pipeline.class)
  static class PipelineConfiguration {

    @Bean
    @ConditionalOnMissingBean
    PostgresDatabase driftlessPostgresDatabase(
        DriftlessProperties properties, Environment env, ObjectProvider<DataSource> dataSource) {
      return PostgresSources.database(properties.getPostgres(), env, dataSource.getIfUnique());
    }

    // The pipeline owns its source and sink and closes them: no destroy method here.
    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    ChangeSource driftlessSource(DriftlessProperties properties, PostgresDatabase database) {
      return PostgresSources.source(properties.getPostgres(), database);
    }

    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    VersionedSink driftlessSink(DriftlessProperties properties, ListableBeanFactory beans) {
      return SearchSinks.sink(properties, beans);
    }

    @Bean
    @ConditionalOnMissingBean
    DeadLetterStore driftlessDeadLetterStore(DriftlessProperties properties) {
      Path path = properties.getDeadLetters().getPath();
      if (path == null) {
        throw missing(
            "driftless.dead-letters.path",
            "the file that keeps events the index refused (the pipeline commits past them once"
                + " stored)");
      }
      return property("driftless.dead-letters.path", path, () -> FileDeadLetterStore.open(path));
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty("driftless.checkpoint.directory")
    CheckpointStore driftlessCheckpointStore(DriftlessProperties properties) {
      Path dir = properties.getCheckpoint().getDirectory();
      try {
        return FileCheckpointStore.in(java.util.Objects.requireNonNull(dir));
      } catch (IOException e) {
        throw new UncheckedIOException("driftless.checkpoint.directory " + dir + ": " + e, e);
      }
    }

    @Bean
    Pipeline driftlessPipeline(
        DriftlessProperties properties,
        ChangeSource source,
        VersionedSink sink,
        DeadLetterStore deadLetters,
        ObjectProvider<CheckpointStore> checkpoints,
        ObjectProvider<DocumentMapper> mapper) {
      PipelineProperties p = properties.getPipeline();
      Pipeline.Builder b =
          Pipeline.builder()
              .source(source)
              .sink(sink)
              .deadLetterStore(deadLetters)
              .mapper(mapper.getIfUnique(DocumentMapper::identity));
      property("driftless.pipeline.name", p.getName(), () -> b.name(p.getName()));
      CheckpointStore checkpoint = checkpoints.getIfUnique();
      if (checkpoint != null) {
        b.checkpointStore(checkpoint);
      }
      Integer batch = p.getBatchSize();
      if (batch != null) {
        property("driftless.pipeline.batch-size", batch, () -> b.batchSize(batch));
      }
      Integer parallelism = p.getParallelism();
      if (parallelism != null) {
        property("driftless.pipeline.parallelism", parallelism, () -> b.parallelism(parallelism));
      }
      Integer inFlight = p.getMaxInFlightEvents();
      if (inFlight != null) {
        property(
            "driftless.pipeline.max-in-flight-events",
            inFlight,
            () -> b.maxInFlightEvents(inFlight));
      }
      Duration linger = p.getLinger();
      if (linger != null) {
        property("driftless.pipeline.linger", linger, () -> b.linger(linger));
      }
      Duration commit = p.getCommitInterval();
      if (commit != null) {
        property("driftless.pipeline.commit-interval", commit, () -> b.commitInterval(commit));
      }
      Duration drain = p.getDrainTimeout();
      if (drain != null) {
        property("driftless.pipeline.drain-timeout", drain, () -> b.drainTimeout(drain));
      }
      Duration outage = p.getOutageDeadline();
      if (outage != null) {
        property("driftless.pipeline.outage-deadline", outage, () -> b.outageDeadline(outage));
      }
      return property("driftless.pipeline", null, b::build);
    }
  }

  @Bean
  @ConditionalOnMissingBean
  @Conditional(OnReconciliationCondition.class)
  DriftlessReconcilers driftlessReconcilers(
      DriftlessProperties properties,
      Pipeline pipeline,
      ObjectProvider<PostgresDatabase> database,
      ObjectProvider<VersionedSink> sink) {
    return Reconcilers.create(
        properties.getReconciliation(), pipeline, database.getIfUnique(), sink.getIfUnique());
  }

  @Bean
  @ConditionalOnMissingBean
  PipelineLifecycle driftlessLifecycle(
      DriftlessProperties properties,
      Pipeline pipeline,
      ObjectProvider<PipelineListener> listeners,
      ObjectProvider<DriftlessReconcilers> reconcilers) {
    List<PipelineListener> all = listeners.orderedStream().toList();
    return new PipelineLifecycle(
        pipeline,
        all.stream().filter(l -> !Reconcilers.isMetricsBinder(l)).toList(),
        all.stream().filter(l -> !Reconcilers.isPipelineMetrics(l)).toList(),
        reconcilers.getIfUnique(),
        properties.isAutoStartup());
  }
}
