package dev.driftless.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.Document;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineListener;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.spi.ChangeSource;
import dev.driftless.core.spi.DeadLetterStore;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.elasticsearch.ElasticsearchSink;
import dev.driftless.micrometer.PipelineMetrics;
import dev.driftless.opensearch.OpenSearchSink;
import dev.driftless.spring.boot.actuate.DriftlessHealthIndicator;
import dev.driftless.spring.boot.autoconfigure.DriftlessAutoConfiguration;
import dev.driftless.spring.boot.autoconfigure.DriftlessEndpointAutoConfiguration;
import dev.driftless.spring.boot.autoconfigure.DriftlessHealthAutoConfiguration;
import dev.driftless.spring.boot.autoconfigure.DriftlessMetricsAutoConfiguration;
import dev.driftless.spring.boot.internal.PipelineLifecycle;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryChangeLog;
import dev.driftless.tck.InMemoryChangeSource;
import dev.driftless.tck.InMemoryVersionedSink;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The starter's conditions and property checks, without servers: nothing here connects (the
 * pipeline does not auto-start, or runs on the tck's in-memory source and sink).
 */
class DriftlessAutoConfigurationTest {

  @TempDir Path dir;

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                DriftlessAutoConfiguration.class,
                DriftlessMetricsAutoConfiguration.class,
                DriftlessHealthAutoConfiguration.class,
                DriftlessEndpointAutoConfiguration.class));
  }

  /** Valid properties for every part; the pipeline does not start (nothing to connect to). */
  private ApplicationContextRunner configured() {
    return runner()
        .withPropertyValues(
            "driftless.auto-startup=false",
            "driftless.postgres.url=jdbc:postgresql://localhost:1/app",
            "driftless.postgres.username=app",
            "driftless.postgres.slot-name=app_slot",
            "driftless.postgres.publication=app_pub",
            "driftless.opensearch.hosts=http://localhost:1",
            "driftless.dead-letters.path=" + dir.resolve("dead-letters.jsonl"));
  }

  @Test
  void validPropertiesMakeEveryBean() {
    configured()
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx).hasSingleBean(Pipeline.class);
              assertThat(ctx).getBean(VersionedSink.class).isInstanceOf(OpenSearchSink.class);
              assertThat(ctx).hasSingleBean(ChangeSource.class);
              assertThat(ctx).hasSingleBean(PipelineLifecycle.class);
              assertThat(ctx).hasSingleBean(PipelineMetrics.class);
              assertThat(ctx).hasSingleBean(DriftlessHealthIndicator.class);
              assertThat(ctx).doesNotHaveBean(DriftlessReconcilers.class);
              assertThat(ctx.getBean(Pipeline.class).name()).isEqualTo("driftless");
              assertThat(ctx.getBean(Pipeline.class).status().state())
                  .isEqualTo(PipelineStatus.State.NEW);
            });
  }

  @Test
  void invalidSlotNameFailsStartUpNamingTheProperty() {
    configured()
        .withPropertyValues("driftless.postgres.slot-name=Orders-Slot")
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              assertThat(rootMessage(ctx.getStartupFailure()))
                  .contains("driftless.postgres.slot-name")
                  .contains("Orders-Slot")
                  .contains("lower-case");
            });
  }

  @Test
  void missingSlotNameFailsStartUpNamingTheProperty() {
    runner()
        .withPropertyValues(
            "driftless.postgres.url=jdbc:postgresql://localhost:1/app",
            "driftless.postgres.username=app",
            "driftless.postgres.publication=app_pub",
            "driftless.opensearch.hosts=http://localhost:1",
            "driftless.dead-letters.path=" + dir.resolve("dl.jsonl"))
        .run(
            ctx ->
                assertThat(rootMessage(ctx.getStartupFailure()))
                    .contains("driftless.postgres.slot-name")
                    .contains("required"));
  }

  @Test
  void withoutUrlTheApplicationsDataSourceSettingsAreUsedAndNamedWhenWrong() {
    configured()
        .withPropertyValues(
            "driftless.postgres.url=", // unset: fall back to spring.datasource.*
            "spring.datasource.url=jdbc:mysql://localhost/app",
            "spring.datasource.username=app")
        .run(
            ctx ->
                assertThat(rootMessage(ctx.getStartupFailure()))
                    .contains("spring.datasource.url")
                    .contains("jdbc:postgresql:"));
  }

  @Test
  void bothSinksConfiguredFailsNamingBoth() {
    configured()
        .withPropertyValues("driftless.elasticsearch.hosts=http://localhost:2")
        .run(
            ctx ->
                assertThat(rootMessage(ctx.getStartupFailure()))
                    .contains("driftless.opensearch.hosts")
                    .contains("driftless.elasticsearch.hosts"));
  }

  @Test
  void noSinkConfiguredFailsNamingTheProperty() {
    configured()
        .withPropertyValues("driftless.opensearch.hosts=")
        .run(
            ctx ->
                assertThat(rootMessage(ctx.getStartupFailure()))
                    .contains("driftless.opensearch.hosts")
                    .contains("no sink is configured"));
  }

  @Test
  void elasticsearchPropertiesMakeTheElasticsearchSink() {
    configured()
        .withPropertyValues(
            "driftless.opensearch.hosts=",
            "driftless.elasticsearch.hosts=http://localhost:2",
            "driftless.elasticsearch.api-key=c2VjcmV0",
            "driftless.elasticsearch.index-prefix=shop-")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx.getBean(VersionedSink.class)).isInstanceOf(ElasticsearchSink.class);
              assertThat(
                      ((ElasticsearchSink) ctx.getBean(VersionedSink.class))
                          .settings()
                          .routing()
                          .indexFor("orders"))
                  .isEqualTo("shop-orders");
            });
  }

  @Test
  void halfOfBasicAuthFailsNamingTheMissingProperty() {
    configured()
        .withPropertyValues("driftless.opensearch.username=driftless")
        .run(
            ctx ->
                assertThat(rootMessage(ctx.getStartupFailure()))
                    .contains("driftless.opensearch.password"));
  }

  @Test
  void missingDeadLetterPathFailsNamingTheProperty() {
    configured()
        .withPropertyValues("driftless.dead-letters.path=")
        .run(
            ctx ->
                assertThat(rootMessage(ctx.getStartupFailure()))
                    .contains("driftless.dead-letters.path"));
  }

  @Test
  void invalidPipelineSettingFailsNamingTheProperty() {
    configured()
        .withPropertyValues("driftless.pipeline.batch-size=0")
        .run(
            ctx ->
                assertThat(rootMessage(ctx.getStartupFailure()))
                    .contains("driftless.pipeline.batch-size"));
  }

  @Test
  void userSinkAndDeadLetterStoreReplaceTheStartersAndNeedNoProperties() {
    runner()
        .withUserConfiguration(UserParts.class)
        .withPropertyValues(
            "driftless.auto-startup=false",
            "driftless.postgres.url=jdbc:postgresql://localhost:1/app",
            "driftless.postgres.username=app",
            "driftless.postgres.slot-name=app_slot",
            "driftless.postgres.publication=app_pub")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx.getBean(VersionedSink.class))
                  .isSameAs(ctx.getBean("userSink"))
                  .isInstanceOf(InMemoryVersionedSink.class);
              assertThat(ctx.getBean(DeadLetterStore.class))
                  .isInstanceOf(InMemoryDeadLetterStore.class);
            });
  }

  @Test
  void userPipelineReplacesEverythingAndIsStartedAndClosedWithTheContext() {
    InMemoryChangeLog log = InMemoryChangeLog.create();
    UserPipeline.log = log;
    Pipeline[] seen = new Pipeline[1];
    runner()
        .withUserConfiguration(UserPipeline.class)
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx).doesNotHaveBean(ChangeSource.class);
              assertThat(ctx).doesNotHaveBean(VersionedSink.class);
              Pipeline pipeline = ctx.getBean(Pipeline.class);
              seen[0] = pipeline;
              assertThat(pipeline.name()).isEqualTo("user");
              assertThat(pipeline.status().state()).isEqualTo(PipelineStatus.State.RUNNING);
              log.upsert(dev.driftless.core.DocumentKey.of("orders", "1"), Document.of("a", 1));
              Eventually.until(
                  Duration.ofSeconds(10),
                  "the change is applied",
                  () -> pipeline.status().eventsApplied() == 1);
              // The application's listener bean was added before the start.
              assertThat(ctx.getBean(RecordingListener.class).events).contains("started user");
            });
    assertThat(seen[0].status().state()).isEqualTo(PipelineStatus.State.STOPPED);
  }

  @Test
  void disabledMakesNothing() {
    configured()
        .withPropertyValues("driftless.enabled=false")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx).doesNotHaveBean(Pipeline.class);
              assertThat(ctx).doesNotHaveBean(PipelineLifecycle.class);
            });
  }

  @Test
  void healthIndicatorCanBeSwitchedOff() {
    configured()
        .withPropertyValues("management.health.driftless.enabled=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(DriftlessHealthIndicator.class));
  }

  private static String rootMessage(Throwable t) {
    StringBuilder all = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      all.append(c.getMessage()).append('\n');
    }
    return all.toString();
  }

  @Configuration(proxyBeanMethods = false)
  static class UserParts {
    @Bean
    VersionedSink userSink() {
      return InMemoryVersionedSink.create();
    }

    @Bean
    DeadLetterStore userDeadLetters() {
      return new InMemoryDeadLetterStore();
    }
  }

  /** A listener bean of the application. */
  static final class RecordingListener implements PipelineListener {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void started(String pipeline) {
      events.add("started " + pipeline);
    }

    @Override
    public void stopped(String pipeline, PipelineStatus last) {
      events.add("stopped " + pipeline);
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class UserPipeline {
    static InMemoryChangeLog log = InMemoryChangeLog.create();

    @Bean
    Pipeline userPipeline() {
      return Pipeline.builder()
          .name("user")
          .source(new InMemoryChangeSource(log))
          .sink(InMemoryVersionedSink.create())
          .deadLetterStore(new InMemoryDeadLetterStore())
          .build();
    }

    @Bean
    RecordingListener recordingListener() {
      return new RecordingListener();
    }
  }
}
