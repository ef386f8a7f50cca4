package dev.driftless.testinfra.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A TCP proxy on a loopback port that forwards every connection to a target and can inject the
 * faults of DESIGN.md §3: a delay on every forwarded chunk, cutting every live connection, refusing
 * new connections (the listening socket is closed, so clients get "connection refused", and
 * reopened on the same port afterwards), and a black hole (a network partition: connections stay
 * open, new ones are accepted, but nothing is forwarded until it ends, so that both ends see only
 * silence and time out on their own).
 *
 * <p>For an HTTP target it can also act as an overloaded server: {@link #tooManyRequests} answers
 * every request a client sends with {@code 429 Too Many Requests} (the body a search engine sends
 * when its write queue is full) and closes that connection, without forwarding the request.
 *
 * <p>Only for loopback targets in tests. Thread-safe; each connection uses two daemon threads.
 */
public final class FaultProxy implements AutoCloseable {

  private final InetSocketAddress target;
  private final int port;
  private final Set<Socket> live = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(daemon("fault-proxy-timer"));
  private volatile long delayNanos;
  private volatile boolean blackHole;
  private volatile boolean tooManyRequests;
  private @Nullable ServerSocket server;
  private boolean closed;

  private FaultProxy(InetSocketAddress target) throws IOException {
    this.target = target;
    ServerSocket s = listen(0);
    this.port = s.getLocalPort();
    this.server = s;
    startAccepting(s);
  }

  /** A proxy on a free loopback port forwarding to {@code host:port}. */
  public static FaultProxy start(String host, int port) {
    Objects.requireNonNull(host, "host");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be in [1, 65535], was " + port);
    }
    try {
      return new FaultProxy(new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on a loopback port", e);
    }
  }

  /** The proxy's port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** {@code http://127.0.0.1:<port>}, for HTTP clients. */
  public String httpUrl() {
    return "http://127.0.0.1:" + port;
  }

  /** Delays every forwarded chunk, in both directions, by {@code delay} (zero for none). */
  public void delay(Duration delay) {
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative, was " + delay);
    }
    delayNanos = delay.toNanos();
  }

  /**
   * Starts or ends a black hole: while on, nothing is forwarded in either direction, on live or new
   * connections, and no connection is closed, as in a network partition; what was sent meanwhile is
   * held (as TCP would retransmit it) and forwarded once it ends.
   */
  public void blackHole(boolean on) {
    blackHole = on;
  }

  /**
   * Starts or ends a 429 storm (HTTP targets only): while on, whatever a client sends is not
   * forwarded but answered with {@code HTTP/1.1 429 Too Many Requests} and an Elasticsearch-style
   * {@code es_rejected_execution_exception} body, and that connection is then closed (with {@code
   * Connection: close}, so a client opens a new one for its retry). Connections idle meanwhile are
   * left alone.
   */
  public void tooManyRequests(boolean on) {
    tooManyRequests = on;
  }

  /** {@link #tooManyRequests(boolean) A 429 storm} for {@code period}, then normal forwarding. */
  public void tooManyRequestsFor(Duration period) {
    Objects.requireNonNull(period, "period");
    tooManyRequests(true);
    timer.schedule(() -> tooManyRequests(false), period.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Closes every live connection at once (clients see a reset or end of stream). */
  public void cutConnections() {
    for (Socket s : live) {
      closeQuietly(s);
    }
    live.clear();
  }

  /** The number of client connections currently open. */
  public int liveConnections() {
    return live.size() / 2;
  }

  /** Refuses new connections until {@link #accept()}; cuts live ones too when asked. */
  public synchronized void refuse(boolean cutLive) {
    ServerSocket s = server;
    server = null;
    if (s != null) {
      closeQuietly(s);
    }
    if (cutLive) {
      cutConnections();
    }
  }

  /** Refuses new connections (and cuts live ones) for {@code period}, then accepts again. */
  public void refuseFor(Duration period) {
    Objects.requireNonNull(period, "period");
    refuse(true);
    timer.schedule(this::accept, period.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Accepts connections again on the same port. */
  public synchronized void accept() {
    if (closed || server != null) {
      return;
    }
    try {
      ServerSocket s = listen(port);
      server = s;
      startAccepting(s);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on port " + port + " again", e);
    }
  }

  /** Whether new connections are accepted. */
  public synchronized boolean accepting() {
    return server != null;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    refuse(true);
    timer.shutdownNow();
  }

  private static final byte[] TOO_MANY_REQUESTS = tooManyRequestsResponse();

  private static byte[] tooManyRequestsResponse() {
    String body =
        "{\"error\":{\"root_cause\":[{\"type\":\"es_rejected_execution_exception\","
            + "\"reason\":\"rejected by FaultProxy (429 storm)\"}],"
            + "\"type\":\"es_rejected_execution_exception\","
            + "\"reason\":\"rejected by FaultProxy (429 storm)\"},\"status\":429}";
    byte[] b = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    String head =
        "HTTP/1.1 429 Too Many Requests\r\n"
            + "Content-Type: application/json; charset=UTF-8\r\n"
            + "Content-Length: "
            + b.length
            + "\r\n"
            + "Connection: close\r\n\r\n";
    byte[] h = head.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] all = java.util.Arrays.copyOf(h, h.length + b.length);
    System.arraycopy(b, 0, all, h.length, b.length);
    return all;
  }

  private static ServerSocket listen(int port) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
    return s;
  }

  private void startAccepting(ServerSocket s) {
    Thread t =
        new Thread(
            () -> {
              while (!s.isClosed()) {
                try {
                  Socket client = s.accept();
                  connect(client);
                } catch (IOException e) {
                  // The listening socket was closed by refuse() or close().
                }
              }
            },
            "fault-proxy-accept-" + port);
    t.setDaemon(true);
    t.start();
  }

  private void connect(Socket client) {
    Socket upstream = new Socket();
    try {
      upstream.connect(target, 5000);
    } catch (IOException e) {
      closeQuietly(client);
      closeQuietly(upstream);
      return;
    }
    live.add(client);
    live.add(upstream);
    pump(client, upstream, true);
    pump(upstream, client, false);
  }

  private void pump(Socket from, Socket to, boolean fromClient) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[64 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                  while (blackHole) {
                    TimeUnit.MILLISECONDS.sleep(10);
                  }
                  if (fromClient && tooManyRequests) {
                    // The peer (the client) gets the answer; the request never reaches the target.
                    OutputStream back = from.getOutputStream();
                    back.write(TOO_MANY_REQUESTS);
                    back.flush();
                    break;
                  }
                  long d = delayNanos;
                  if (d > 0) {
                    TimeUnit.NANOSECONDS.sleep(d);
                  }
                  out.write(buffer, 0, n);
                  out.flush();
                }
              } catch (IOException | InterruptedException e) {
                // A cut or a closed peer ends the pump; the other direction ends with it.
              } finally {
                live.remove(from);
                live.remove(to);
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "fault-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      if (c instanceof Socket s && !s.isClosed()) {
        try {
          s.setSoLinger(true, 0); // reset rather than a graceful close: what a cut looks like
        } catch (SocketException e) {
          // already closed
        }
      }
      c.close();
    } catch (Exception e) {
      // nothing to do: the socket is gone either way
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
