package dev.driftless.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.spi.RepairReader;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Repair tickets without a runner: the intake settles (or not) what it is handed. */
class RepairCoordinatorTest {

  private static final DocumentKey A = DocumentKey.of("t", "a");
  private static final DocumentKey B = DocumentKey.of("t", "b");

  private final List<ReplayTicket> handed = new ArrayList<>();
  private boolean running = true;

  private RepairCoordinator coordinator(RepairReader reader, boolean settleAtOnce) {
    return new RepairCoordinator(
        "test",
        () -> Optional.of(reader),
        "TestSource",
        new InMemoryDeadLetterStore(),
        Clock.systemUTC(),
        new RepairCoordinator.Intake() {
          @Override
          public void requireRunning() {
            if (!running) {
              throw new IllegalStateException("not running");
            }
          }

          @Override
          public void accept(ChangeEvent event, ReplayTicket ticket) {
            handed.add(ticket);
            if (settleAtOnce) {
              if (event.key().equals(A)) {
                ticket.succeed(false);
              } else {
                ticket.fail("mapper_parsing_exception", "bad");
              }
            }
          }
        });
  }

  private static RepairReader reads(DocumentKey... keys) {
    return wanted -> {
      List<ChangeEvent> out = new ArrayList<>();
      for (DocumentKey key : keys) {
        out.add(PipelineRunnerTest.upsert(key.id(), 1, 0));
      }
      return out;
    };
  }

  @Test
  void keysTheSourceDoesNotReturnFailAndSettledTicketsAreCounted() throws Exception {
    RepairCoordinator c = coordinator(reads(A, B), true);
    Pipeline.RepairResult result = c.repair(List.of(A, B, DocumentKey.of("t", "gone")));
    assertThat(result.applied()).isEqualTo(1);
    assertThat(result.failed()).containsExactly(B, DocumentKey.of("t", "gone"));
    assertThat(c.openTickets()).isZero();
  }

  @Test
  void stopFailsOpenTicketsAndEveryLaterOne() throws Exception {
    RepairCoordinator c = coordinator(reads(A), false);
    Thread stopper =
        new Thread(
            () -> {
              while (handed.isEmpty()) {
                Thread.onSpinWait();
              }
              c.stop("halted");
            });
    stopper.start();
    assertThat(c.repair(List.of(A)).failed()).containsExactly(A);
    stopper.join();
    assertThat(handed.get(0).stopped()).isTrue();
    assertThat(c.repair(List.of(A)).failed()).as("opened after the stop").containsExactly(A);
    assertThat(handed.get(1).errorMessage()).isEqualTo("halted");
  }

  @Test
  void aPipelineThatIsNotRunningRefusesRepairs() {
    running = false;
    RepairCoordinator c = coordinator(reads(A), true);
    assertThatThrownBy(() -> c.repair(List.of(A))).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aTicketKeepsItsFirstOutcome() {
    ReplayTicket ticket = new ReplayTicket(true);
    ticket.succeed(true);
    ticket.abandon("late");
    ticket.fail("x", "y");
    assertThat(ticket.success()).isTrue();
    assertThat(ticket.stale()).isTrue();
    assertThat(ticket.stopped()).isFalse();
  }

  /**
   * A dead-lettered truncate travels under the reserved key (collection, "*"), which may also be a
   * real row's id: a replay must not read row "*" and drop the letter as replayed (issue 12).
   */
  @Test
  void aTruncateLetterIsNotReplayedByAKeyRead() throws Exception {
    InMemoryDeadLetterStore store = new InMemoryDeadLetterStore();
    ChangeEvent truncate =
        ChangeEvent.truncate(
            "t",
            dev.driftless.core.Version.of(5),
            PipelineRunnerTest.upsert("x", 5, 0).position(),
            java.time.Instant.EPOCH);
    store.put(
        dev.driftless.core.DeadLetter.of(
            "l1", truncate, "sink:x", "failed", 1, java.time.Instant.EPOCH));
    List<DocumentKey> read = new ArrayList<>();
    RepairCoordinator c =
        new RepairCoordinator(
            "test",
            () ->
                Optional.of(
                    wanted -> {
                      read.addAll(wanted);
                      return List.of();
                    }),
            "TestSource",
            store,
            Clock.systemUTC(),
            new RepairCoordinator.Intake() {
              @Override
              public void requireRunning() {}

              @Override
              public void accept(ChangeEvent event, ReplayTicket ticket) {
                ticket.succeed(false);
              }
            });
    Pipeline.ReplayResult result = c.replayDeadLetters(10);
    assertThat(read).as("no key read for a truncate").isEmpty();
    assertThat(result.replayed()).isZero();
    assertThat(result.failedAgain()).isEqualTo(1);
    assertThat(store.list(10))
        .singleElement()
        .satisfies(
            l -> {
              assertThat(l.errorType()).isEqualTo("replay:truncate");
              assertThat(l.errorMessage()).contains("reconcile collection 't'");
            });
  }
}
