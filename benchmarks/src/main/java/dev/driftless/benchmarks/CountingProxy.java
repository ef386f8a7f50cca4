package dev.driftless.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay on a loopback port that forwards every connection to one server and counts the bytes
 * it carries in both directions: how the reconcile benchmark measures what the index side moves
 * over the wire, since the index's fingerprint reader does not count its bytes. Thread-safe; one
 * daemon thread per direction of each connection.
 */
final class CountingProxy implements AutoCloseable {

  private final ServerSocket server;
  private final String targetHost;
  private final int targetPort;
  private final AtomicLong bytes = new AtomicLong();

  CountingProxy(String targetHost, int targetPort) throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    Thread accept = new Thread(this::accept, "counting-proxy-accept");
    accept.setDaemon(true);
    accept.start();
  }

  /** {@code http://127.0.0.1:<port>} of the relay. */
  String url() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  /** Bytes carried so far, requests and responses together. */
  long bytes() {
    return bytes.get();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket(targetHost, targetPort);
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        if (!server.isClosed()) {
          System.err.println("counting proxy: " + e);
        }
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[64 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                  out.write(buf, 0, n);
                  bytes.addAndGet(n);
                }
              } catch (IOException e) {
                // The other direction closed the pair: nothing left to carry.
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "counting-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // Already closed.
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
