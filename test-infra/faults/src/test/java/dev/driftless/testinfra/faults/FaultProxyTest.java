package dev.driftless.testinfra.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FaultProxyTest {

  private ServerSocket echo;
  private FaultProxy proxy;

  @BeforeEach
  void startEchoServerAndProxy() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t =
        new Thread(
            () -> {
              while (!echo.isClosed()) {
                try {
                  Socket s = echo.accept();
                  Thread e =
                      new Thread(
                          () -> {
                            try (s;
                                InputStream in = s.getInputStream();
                                OutputStream out = s.getOutputStream()) {
                              in.transferTo(out);
                            } catch (IOException ignored) {
                              // peer gone
                            }
                          });
                  e.setDaemon(true);
                  e.start();
                } catch (IOException ignored) {
                  // server closed
                }
              }
            });
    t.setDaemon(true);
    t.start();
    proxy = FaultProxy.start("127.0.0.1", echo.getLocalPort());
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    echo.close();
  }

  private Socket connect() throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 2000);
    s.setSoTimeout(5000);
    return s;
  }

  private static String roundTrip(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes());
    s.getOutputStream().flush();
    byte[] buf = s.getInputStream().readNBytes(text.length());
    return new String(buf);
  }

  private static void await(BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 5 s");
      }
      Thread.onSpinWait();
    }
  }

  @Test
  void forwardsBothWays() throws IOException {
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "hello")).isEqualTo("hello");
      assertThat(proxy.liveConnections()).isEqualTo(1);
    }
  }

  @Test
  void delaysEveryChunk() throws IOException {
    proxy.delay(Duration.ofMillis(150));
    try (Socket s = connect()) {
      long start = System.nanoTime();
      assertThat(roundTrip(s, "slow")).isEqualTo("slow");
      // one delay on the way in, one on the way back
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(290));
    }
  }

  @Test
  void cutsLiveConnections() throws IOException {
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "x")).isEqualTo("x");
      proxy.cutConnections();
      assertThatThrownBy(
              () -> {
                for (int i = 0; i < 100; i++) {
                  s.getOutputStream().write(new byte[1024]);
                  if (s.getInputStream().read() < 0) {
                    throw new IOException("end of stream");
                  }
                }
              })
          .isInstanceOf(IOException.class);
    }
  }

  @Test
  void aBlackHoleHoldsTrafficWithoutClosingAndForwardsItOnceItEnds() throws IOException {
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "a")).isEqualTo("a");
      proxy.blackHole(true);
      s.setSoTimeout(300);
      s.getOutputStream().write("held".getBytes());
      s.getOutputStream().flush();
      assertThatThrownBy(() -> s.getInputStream().read())
          .isInstanceOf(java.net.SocketTimeoutException.class);
      assertThat(proxy.liveConnections()).isEqualTo(1);
      proxy.blackHole(false);
      s.setSoTimeout(5000);
      assertThat(new String(s.getInputStream().readNBytes(4))).isEqualTo("held");
    }
  }

  @Test
  void refusesThenAcceptsAgainOnTheSamePort() throws IOException {
    int port = proxy.port();
    proxy.refuseFor(Duration.ofMillis(300));
    assertThatThrownBy(this::connect).isInstanceOf(ConnectException.class);
    await(proxy::accepting);
    assertThat(proxy.port()).isEqualTo(port);
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "back")).isEqualTo("back");
    }
  }

  @Test
  void aStormOfTooManyRequestsAnswersEveryRequestWith429AndClosesThenForwardsAgain()
      throws IOException {
    proxy.tooManyRequests(true);
    try (Socket s = connect()) {
      s.getOutputStream().write("POST /_bulk HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
      s.getOutputStream().flush();
      String answer = new String(s.getInputStream().readAllBytes()); // then closed
      assertThat(answer)
          .startsWith("HTTP/1.1 429 Too Many Requests\r\n")
          .contains("Connection: close")
          .endsWith("\"status\":429}");
    }
    proxy.tooManyRequests(false);
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "forwarded")).isEqualTo("forwarded");
    }
  }

  @Test
  void rejectsBadArguments() {
    assertThatThrownBy(() -> FaultProxy.start("127.0.0.1", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("port");
    assertThatThrownBy(() -> proxy.delay(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("delay");
  }
}
