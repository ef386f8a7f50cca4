package dev.driftless.postgres.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.DriftlessException;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Message layouts built by hand from the protocol description, including streamed variants. */
class PgOutputDecoderTest {

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final DataOutputStream out = new DataOutputStream(bytes);

  private ByteBuffer take() {
    ByteBuffer b = ByteBuffer.wrap(bytes.toByteArray());
    bytes.reset();
    return b;
  }

  private void str(String s) throws Exception {
    out.write(s.getBytes(StandardCharsets.UTF_8));
    out.write(0);
  }

  @Test
  void beginCommitAndTimestamps() throws Exception {
    PgOutputDecoder d = new PgOutputDecoder(1);
    out.writeByte('B');
    out.writeLong(0x500);
    out.writeLong(0); // 2000-01-01T00:00:00Z
    out.writeInt(-1); // xid 4294967295: unsigned
    PgOutputMessage.Begin b = (PgOutputMessage.Begin) d.decode(take(), null);
    assertThat(b.finalLsn()).isEqualTo(0x500);
    assertThat(b.commitTime()).isEqualTo(Instant.parse("2000-01-01T00:00:00Z"));
    assertThat(b.xid()).isEqualTo(4294967295L);

    out.writeByte('C');
    out.writeByte(0);
    out.writeLong(0x500);
    out.writeLong(0x540);
    out.writeLong(1_000_000);
    PgOutputMessage.Commit c = (PgOutputMessage.Commit) d.decode(take(), null);
    assertThat(c.endLsn()).isEqualTo(0x540);
    assertThat(c.commitTime()).isEqualTo(Instant.parse("2000-01-01T00:00:01Z"));
  }

  @Test
  void relationAndUpdateWithOldKeyInAStreamedBlock() throws Exception {
    PgOutputDecoder d = new PgOutputDecoder(2);
    out.writeByte('S');
    out.writeInt(77);
    out.writeByte(1);
    assertThat(d.decode(take(), null)).isEqualTo(new PgOutputMessage.StreamStart(77, true));
    assertThat(d.inStreamBlock()).isTrue();

    out.writeByte('R');
    out.writeInt(78);
    out.writeInt(16385);
    str("public");
    str("items");
    out.writeByte('d');
    out.writeShort(2);
    out.writeByte(1);
    str("id");
    out.writeInt(23);
    out.writeInt(-1);
    out.writeByte(0);
    str("big");
    out.writeInt(25);
    out.writeInt(-1);
    PgOutputMessage.Relation r = (PgOutputMessage.Relation) d.decode(take(), null);
    assertThat(r.xid()).isEqualTo(78);
    assertThat(r.columns()).extracting(PgOutputMessage.Column::key).containsExactly(true, false);

    out.writeByte('U');
    out.writeInt(78);
    out.writeInt(16385);
    out.writeByte('K');
    out.writeShort(2);
    out.writeByte('t');
    out.writeInt(1);
    out.write('1');
    out.writeByte('n');
    out.writeByte('N');
    out.writeShort(2);
    out.writeByte('t');
    out.writeInt(1);
    out.write('2');
    out.writeByte('u');
    PgOutputMessage.Update u = (PgOutputMessage.Update) d.decode(take(), null);
    assertThat(u.oldKind()).isEqualTo('K');
    assertThat(u.newTuple().values()[0]).isEqualTo("2");
    assertThat(u.newTuple().hasUnchangedToast()).isTrue();

    out.writeByte('E');
    d.decode(take(), null);
    assertThat(d.inStreamBlock()).isFalse();
  }

  @Test
  void streamAbortCarriesLsnAndTimeFromProtocol4() throws Exception {
    out.writeByte('A');
    out.writeInt(5);
    out.writeInt(6);
    ByteBuffer v2 = take();
    assertThat(new PgOutputDecoder(2).decode(v2, null))
        .isEqualTo(new PgOutputMessage.StreamAbort(5, 6, 0, null));

    out.writeByte('A');
    out.writeInt(5);
    out.writeInt(5);
    out.writeLong(0x900);
    out.writeLong(0);
    PgOutputMessage.StreamAbort a =
        (PgOutputMessage.StreamAbort) new PgOutputDecoder(4).decode(take(), null);
    assertThat(a.abortLsn()).isEqualTo(0x900);
    assertThat(a.abortTime()).isEqualTo(Instant.parse("2000-01-01T00:00:00Z"));
  }

  @Test
  void truncateMessageAndTypeAndOrigin() throws Exception {
    PgOutputDecoder d = new PgOutputDecoder(1);
    out.writeByte('T');
    out.writeInt(2);
    out.writeByte(3);
    out.writeInt(10);
    out.writeInt(11);
    PgOutputMessage.Truncate t = (PgOutputMessage.Truncate) d.decode(take(), null);
    assertThat(t.cascade()).isTrue();
    assertThat(t.restartIdentity()).isTrue();
    assertThat(t.relationOids()).containsExactly(10, 11);

    out.writeByte('Y');
    out.writeInt(900);
    str("public");
    str("mood");
    assertThat(d.decode(take(), null))
        .isEqualTo(new PgOutputMessage.Type(-1, 900, "public", "mood"));

    out.writeByte('O');
    out.writeLong(0x10);
    str("upstream");
    assertThat(d.decode(take(), null)).isEqualTo(new PgOutputMessage.Origin(0x10, "upstream"));
  }

  @Test
  void unknownAndTruncatedMessagesFailClearly() throws Exception {
    out.writeByte('P');
    assertThatThrownBy(() -> new PgOutputDecoder(3).decode(take(), null))
        .isInstanceOf(DriftlessException.class)
        .hasMessageContaining("unsupported pgoutput message 'P'");
    out.writeByte('B');
    out.writeInt(1);
    assertThatThrownBy(() -> new PgOutputDecoder(1).decode(take(), null))
        .isInstanceOf(DriftlessException.class)
        .hasMessageContaining("malformed");
  }
}
