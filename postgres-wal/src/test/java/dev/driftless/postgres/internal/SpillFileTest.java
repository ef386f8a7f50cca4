package dev.driftless.postgres.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spilled changes read back in order; a subtransaction abort drops it and what followed it. */
class SpillFileTest {

  @TempDir Path dir;

  private static ByteBuffer msg(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> read(SpillFile f) throws Exception {
    List<String> out = new ArrayList<>();
    for (Iterator<SpillFile.Record> it = f.read(); it.hasNext(); ) {
      SpillFile.Record r = it.next();
      out.add(r.subXid() + ":" + StandardCharsets.UTF_8.decode(r.message()));
    }
    return out;
  }

  @Test
  void recordsComeBackInOrderAndTheFileIsDeletedOnClose() throws Exception {
    SpillFile f = new SpillFile(dir, "shop.0a1b2c3d", 7);
    for (int i = 0; i < 1000; i++) {
      f.append(7, 0, msg("m" + i));
    }
    List<String> back = read(f);
    assertThat(back).hasSize(1000).startsWith("7:m0").endsWith("7:m999");
    f.close();
    try (var files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void anAbortedSubtransactionIsCutOutWithItsChildren() throws Exception {
    SpillFile f = new SpillFile(dir, "shop.0a1b2c3d", 7);
    f.append(7, 0, msg("top1"));
    f.append(8, 0, msg("sub8"));
    f.flush();
    f.append(9, 0, msg("sub9-child"));
    f.abortSubtransaction(8);
    f.append(7, 0, msg("top2"));
    f.abortSubtransaction(42); // never seen: nothing happens
    assertThat(read(f)).containsExactly("7:top1", "7:top2");
    f.close();
  }

  @Test
  void leftoversOfOneOwnerAreDeletedAndNobodyElses() throws Exception {
    // What a kill -9 leaves: open spill files of two sources (slot "shop" and slot "shop_2") and
    // an unrelated file.
    SpillFile mine1 = new SpillFile(dir, "shop.0a1b2c3d", 7);
    SpillFile mine2 = new SpillFile(dir, "shop.0a1b2c3d", 1234567);
    mine1.append(7, 0, msg("x"));
    mine1.flush();
    SpillFile otherSlot = new SpillFile(dir, "shop_2.0a1b2c3d", 7);
    SpillFile otherDatabase = new SpillFile(dir, "shop.99999999", 7);
    Path unrelated = Files.writeString(dir.resolve("driftless-shop.0a1b2c3d-notes.spill"), "keep");

    assertThat(SpillFile.deleteLeftovers(dir, "shop.0a1b2c3d")).isEqualTo(2);

    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .hasSize(3)
          .contains(unrelated.getFileName().toString())
          .anyMatch(n -> n.startsWith("driftless-shop_2.0a1b2c3d-xid-7-"))
          .anyMatch(n -> n.startsWith("driftless-shop.99999999-xid-7-"));
    }
    assertThat(SpillFile.deleteLeftovers(dir.resolve("absent"), "shop.0a1b2c3d")).isZero();
    mine1.close();
    mine2.close();
    otherSlot.close();
    otherDatabase.close();
  }
}
