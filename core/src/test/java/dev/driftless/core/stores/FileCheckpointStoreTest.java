package dev.driftless.core.stores;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileCheckpointStoreTest {
  @TempDir Path dir;

  @Test
  void backfillProgressNameIsAccepted() throws Exception {
    // The name a PostgreSQL source gives its backfill progress; it was refused before.
    String name = "postgres-backfill/shop/shop_search";
    FileCheckpointStore store = FileCheckpointStore.in(dir);
    store.save(name, "table\t0\tpublic.products\t1000");
    assertThat(FileCheckpointStore.in(dir).load(name)).contains("table\t0\tpublic.products\t1000");
    try (Stream<Path> files = Files.walk(dir)) {
      // Everything stays inside the store's directory, as one file directly in it.
      assertThat(files.filter(Files::isRegularFile).map(dir::relativize).map(Path::toString))
          .containsExactly("postgres-backfill%2Fshop%2Fshop_search.checkpoint");
    }
  }

  @Test
  void simpleNamesKeepTheirFiles() throws Exception {
    Files.writeString(dir.resolve("orders.checkpoint"), "42", StandardCharsets.UTF_8);
    FileCheckpointStore store = FileCheckpointStore.in(dir);
    assertThat(store.load("orders")).contains("42");
    store.save("orders", "43");
    assertThat(Files.readString(dir.resolve("orders.checkpoint"))).isEqualTo("43");
  }

  @Test
  void distinctNamesNeverShareAFile() throws Exception {
    String p189 = "p".repeat(189);
    List<String> names =
        new ArrayList<>(
            List.of(
                "a/b",
                "a%2Fb",
                "a%2fb",
                "a_b",
                "a.b",
                ".a",
                "%2Ea",
                "..",
                "../escape",
                "x".repeat(128),
                "x".repeat(129),
                "x".repeat(200),
                "x".repeat(201),
                "x".repeat(400),
                "ü/ö",
                "名前",
                "a b",
                "a\nb",
                p189,
                p189 + ".checkpoint" + "q".repeat(100)));
    FileCheckpointStore store = FileCheckpointStore.in(dir);
    Set<Path> files = new HashSet<>();
    for (String name : names) {
      Path file = store.fileFor(name);
      assertThat(files.add(file)).as(name).isTrue();
      assertThat(file.normalize().startsWith(dir)).as(name).isTrue();
      for (Path part : dir.relativize(file)) {
        assertThat(part.toString().length()).isLessThanOrEqualTo(255);
      }
    }
    for (int i = 0; i < names.size(); i++) {
      store.save(names.get(i), "position " + i);
    }
    FileCheckpointStore reopened = FileCheckpointStore.in(dir);
    for (int i = 0; i < names.size(); i++) {
      assertThat(reopened.load(names.get(i))).as(names.get(i)).contains("position " + i);
    }
  }

  @Test
  void emptyNameIsRefused() throws Exception {
    FileCheckpointStore store = FileCheckpointStore.in(dir);
    assertThatThrownBy(() -> store.save("", "1")).isInstanceOf(IllegalArgumentException.class);
    assertThat(store.load("missing")).isEmpty();
  }
}
