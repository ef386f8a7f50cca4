package dev.driftless.dynamodb.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.ConfigurationException;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import dev.driftless.testinfra.dynamodb.EmulatorClients;
import dev.driftless.testinfra.dynamodb.Fault;
import dev.driftless.testinfra.dynamodb.FaultKind;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The lease coordinator against the emulator through the real SDK, each worker with its own
 * controllable clock and its rounds driven by the test: taking, renewal, expiry as an observer sees
 * it, takeover, balanced stealing, loss on a failed condition, parents before children, and the
 * lease table itself (created if missing, shared by scopes, a foreign table refused).
 */
class LeaseCoordinatorIT {
  private static final String TABLE = "leases";
  private static final Duration DURATION = Duration.ofSeconds(10);

  private DynamoDbEmulator emulator;
  private EmulatorClients clients;
  private DynamoDbClient ddb;

  @BeforeEach
  void start() throws Exception {
    emulator = DynamoDbEmulator.builder().noTimedRollover().build().start();
    clients = EmulatorClients.withoutRetries(emulator);
    ddb = clients.dynamoDb();
    new LeaseTable(ddb, TABLE, "s").ensureExists(Duration.ofSeconds(30));
  }

  @AfterEach
  void stop() {
    clients.close();
    emulator.close();
  }

  /** A worker driven by the test: its own clock, no thread. */
  private static final class Worker {
    final AtomicLong nanos = new AtomicLong();
    final LeaseCoordinator coordinator;

    Worker(DynamoDbClient ddb, String scope, String id) {
      coordinator =
          new LeaseCoordinator(
              new LeaseTable(ddb, TABLE, scope),
              new LeaseCoordinator.Timing(
                  id, DURATION, Duration.ofSeconds(3), Duration.ofSeconds(10)),
              nanos::get,
              () -> {});
    }

    void advance(Duration d) {
      nanos.addAndGet(d.toNanos());
    }

    Set<String> held() {
      return coordinator.held().keySet();
    }
  }

  private Worker worker(String id) {
    return new Worker(ddb, "s", id);
  }

  private void create(Worker w, String... keys) {
    for (String k : keys) {
      assertThat(w.coordinator.create(Lease.create(k, Lease.START, Set.of(), null))).isTrue();
    }
  }

  @Test
  void newLeasesAreTakenAtOnceAndRenewalsMoveTheCounter() {
    Worker a = worker("a");
    create(a, "k1", "k2");
    assertThat(a.coordinator.create(Lease.create("k1", Lease.START, Set.of(), null)))
        .as("a key is created once")
        .isFalse();
    a.coordinator.takeRound();
    assertThat(a.held()).containsExactlyInAnyOrder("k1", "k2");
    long before = a.coordinator.held().get("k1").lease().counter();
    a.coordinator.renewRound();
    assertThat(a.coordinator.held().get("k1").lease().counter()).isEqualTo(before + 1);
    assertThat(a.coordinator.status()).containsEntry("leasesTaken", 2L);
  }

  @Test
  void aLeaseExpiresOnlyWhenItsCounterStoodStillForTheDurationAsTheObserverSeesIt() {
    Worker a = worker("a");
    Worker b = worker("b");
    create(a, "k1");
    a.coordinator.takeRound();
    b.coordinator.takeRound(); // first sight of k1's counter
    assertThat(b.held()).isEmpty();
    b.advance(DURATION.minusMillis(1));
    b.coordinator.takeRound();
    assertThat(b.held()).as("not yet expired").isEmpty();
    a.coordinator.renewRound(); // the counter moves: b's observation starts again
    b.advance(Duration.ofMillis(2));
    b.coordinator.takeRound();
    assertThat(b.held()).as("renewed, so not expired").isEmpty();
    b.advance(DURATION);
    b.coordinator.takeRound();
    assertThat(b.held()).as("a stopped renewing: taken over").containsExactly("k1");

    long generation = a.coordinator.held().get("k1").generation();
    assertThat(a.coordinator.checkpoint("k1", generation, "100000000000000000001", null))
        .as("the old owner's checkpoint fails its condition")
        .isFalse();
    assertThat(a.held()).isEmpty();
    assertThat(a.coordinator.status()).containsEntry("leasesLost", 1L);
    long bGeneration = b.coordinator.held().get("k1").generation();
    assertThat(b.coordinator.checkpoint("k1", bGeneration, "100000000000000000002", "{}")).isTrue();
    Lease stored = b.coordinator.table().list().get(0);
    assertThat(stored.owner()).isEqualTo("b");
    assertThat(stored.checkpoint()).isEqualTo("100000000000000000002");
  }

  @Test
  void aRenewalWhoseConditionFailsLosesTheLeaseAtOnce() {
    Worker a = worker("a");
    Worker b = worker("b");
    create(a, "k1");
    a.coordinator.takeRound();
    b.coordinator.takeRound();
    b.advance(DURATION);
    b.coordinator.takeRound();
    assertThat(b.held()).containsExactly("k1");
    a.coordinator.renewRound();
    assertThat(a.held()).isEmpty();
    assertThat(a.coordinator.status()).containsEntry("leasesLost", 1L);
  }

  @Test
  void aWorkerThatCannotRenewForTheDurationGivesTheLeaseUp() {
    Worker a = worker("a");
    create(a, "k1");
    a.coordinator.takeRound();
    emulator.inject(Fault.on("UpdateItem").always().respond(FaultKind.THROTTLING));
    a.coordinator.renewRound();
    assertThat(a.held()).as("one failed renewal is not a loss").containsExactly("k1");
    a.advance(DURATION);
    a.coordinator.renewRound();
    assertThat(a.held()).isEmpty();
    assertThat(a.coordinator.status())
        .containsEntry("leaseRenewalFailures", 2L)
        .containsEntry("leasesLost", 1L);
    emulator.clearFaults();
  }

  @Test
  void aJoiningWorkerStealsOneLeasePerRoundFromTheMostLoadedUntilBalanced() {
    Worker a = worker("a");
    Worker b = worker("b");
    create(a, "k1", "k2", "k3", "k4");
    a.coordinator.takeRound();
    assertThat(a.held()).hasSize(4);
    b.coordinator.takeRound();
    assertThat(b.held()).hasSize(1);
    b.coordinator.takeRound();
    assertThat(b.held()).hasSize(2);
    b.coordinator.takeRound();
    assertThat(b.held()).as("balanced: no more stealing").hasSize(2);
    a.coordinator.renewRound();
    assertThat(a.held()).hasSize(2);
    assertThat(b.coordinator.status()).containsEntry("leasesStolen", 2L);
    assertThat(a.coordinator.status()).containsEntry("leasesLost", 2L);
    assertThat(a.coordinator.table().list())
        .extracting(Lease::owner)
        .containsExactlyInAnyOrder("a", "a", "b", "b");
  }

  @Test
  void aDeadWorkersLeasesAreSharedByTheOthersUpToTheTarget() {
    Worker a = worker("a");
    Worker b = worker("b");
    Worker c = worker("c");
    create(a, "k1", "k2", "k3", "k4", "k5", "k6");
    a.coordinator.takeRound(); // a: 6
    b.coordinator.takeRound();
    b.coordinator.takeRound();
    b.coordinator.takeRound(); // b steals up to 3
    a.coordinator.renewRound();
    assertThat(a.held()).hasSize(3);
    assertThat(b.held()).hasSize(3);
    // a dies; b and c see its counters stand still.
    b.coordinator.renewRound();
    c.coordinator.takeRound(); // c joins: steals one from the most loaded
    assertThat(c.held()).hasSize(1);
    b.coordinator.renewRound();
    for (Worker w : List.of(b, c)) {
      w.advance(DURATION);
    }
    b.coordinator.renewRound();
    c.coordinator.renewRound();
    c.coordinator.takeRound();
    b.coordinator.takeRound();
    c.coordinator.takeRound();
    assertThat(b.held().size() + c.held().size()).isEqualTo(6);
    assertThat(b.held()).hasSize(3);
    assertThat(c.held()).hasSize(3);
  }

  @Test
  void aChildIsTakenOnlyOnceItsParentIsFinishedOrGone() {
    Worker a = worker("a");
    Worker b = worker("b");
    create(a, "p");
    assertThat(a.coordinator.create(Lease.create("c", Lease.START, Set.of("p"), null))).isTrue();
    assertThat(a.coordinator.create(Lease.create("orphan", Lease.START, Set.of("gone"), null)))
        .isTrue();
    a.coordinator.takeRound();
    assertThat(a.held()).containsExactlyInAnyOrder("p", "orphan");
    long generation = a.coordinator.held().get("p").generation();
    assertThat(a.coordinator.checkpoint("p", generation, Lease.END, "{}")).isTrue();
    assertThat(a.held()).as("finished work is no longer held").containsExactly("orphan");
    b.coordinator.takeRound();
    assertThat(b.held()).as("the child, now that its parent is finished").containsExactly("c");
    Lease p =
        a.coordinator.table().list().stream()
            .filter(l -> l.key().equals("p"))
            .findFirst()
            .orElseThrow();
    assertThat(a.coordinator.delete(p)).isTrue();
    assertThat(a.coordinator.table().list())
        .extracting(Lease::key)
        .containsExactlyInAnyOrder("c", "orphan");
  }

  @Test
  void scopesShareOneTableWithoutSeeingEachOther() {
    Worker a = new Worker(ddb, "pipeline-1", "a");
    Worker b = new Worker(ddb, "pipeline-2", "b");
    create(a, "k1");
    create(b, "k1");
    a.coordinator.takeRound();
    b.coordinator.takeRound();
    assertThat(a.held()).containsExactly("k1");
    assertThat(b.held()).containsExactly("k1");
    assertThat(a.coordinator.table().list()).hasSize(1);
  }

  @Test
  void theTableIsCreatedIfMissingAndAForeignTableIsRefusedNamingTheSetting() throws Exception {
    LeaseTable fresh = new LeaseTable(ddb, "fresh-leases", "s");
    fresh.ensureExists(Duration.ofSeconds(30));
    fresh.ensureExists(Duration.ofSeconds(30));
    assertThat(
            ddb.describeTable(b -> b.tableName("fresh-leases"))
                .table()
                .billingModeSummary()
                .billingModeAsString())
        .isEqualTo("PAY_PER_REQUEST");
    EmulatorClients.createTable(
        ddb, "orders", software.amazon.awssdk.services.dynamodb.model.StreamViewType.KEYS_ONLY);
    assertThatThrownBy(() -> new LeaseTable(ddb, "orders", "s").ensureExists(Duration.ofSeconds(5)))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("leases.table");
  }
}
