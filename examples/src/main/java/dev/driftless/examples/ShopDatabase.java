package dev.driftless.examples;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;

/**
 * The demo's database: a {@code products} and an {@code orders} table, seed data, and a live write
 * workload. Plain JDBC; what the application does, Driftless never writes here.
 *
 * <p>Not thread-safe: one instance per writing thread. Every method blocks on the database.
 */
public final class ShopDatabase implements AutoCloseable {

  /** The OpenSearch mapping of {@code products}: {@code attributes.weight_kg} must be a number. */
  public static final String PRODUCTS_MAPPING =
      "{\"properties\": {\"name\": {\"type\": \"text\"}, \"price\": {\"type\": \"double\"},"
          + " \"stock\": {\"type\": \"integer\"}, \"attributes\":"
          + " {\"properties\": {\"weight_kg\": {\"type\": \"float\"}}}}}";

  private final Connection connection;
  private final Random random = new Random(42);
  private int nextProduct;
  private long nextOrder;

  /** Connects as {@code user} with no password (the embedded server trusts local connections). */
  public ShopDatabase(String jdbcUrl, String user) throws SQLException {
    this.connection =
        DriverManager.getConnection(Objects.requireNonNull(jdbcUrl, "jdbcUrl"), user, "");
  }

  public void createSchema() throws SQLException {
    execute(
        "CREATE TABLE IF NOT EXISTS products (id int PRIMARY KEY, name text NOT NULL,"
            + " price numeric(10,2) NOT NULL, stock int NOT NULL, attributes jsonb NOT NULL)",
        "CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY, product_id int NOT NULL,"
            + " quantity int NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL"
            + " DEFAULT now())");
  }

  /** Inserts {@code products} products and {@code orders} orders, in one transaction each. */
  public void seed(int products, int orders) throws SQLException {
    execute(
        "INSERT INTO products SELECT g, 'product ' || g, (g % 500) + 0.99, g % 100,"
            + " jsonb_build_object('weight_kg', (g % 40) / 4.0, 'color', (ARRAY['red', 'green',"
            + " 'blue'])[1 + g % 3]) FROM generate_series(1, "
            + products
            + ") g",
        "INSERT INTO orders (id, product_id, quantity, status) SELECT g, 1 + g % "
            + products
            + ", 1 + g % 5, 'new' FROM generate_series(1, "
            + orders
            + ") g");
    nextProduct = products + 1;
    nextOrder = orders + 1;
  }

  /**
   * Random inserts, updates and deletes of both tables for {@code duration}, in transactions of a
   * few statements, at most {@code perSecond} statements a second.
   *
   * @return statements executed
   */
  public long runWorkload(Duration duration, int perSecond) throws SQLException {
    long end = System.nanoTime() + duration.toNanos();
    long statements = 0;
    long started = System.nanoTime();
    connection.setAutoCommit(false);
    try (Statement s = connection.createStatement()) {
      while (System.nanoTime() < end) {
        for (int i = 0; i < 10; i++) {
          s.execute(randomChange());
          statements++;
        }
        connection.commit();
        long due = started + statements * 1_000_000_000L / perSecond;
        LockSupport.parkNanos(due - System.nanoTime()); // pacing, not waiting for a condition
      }
    } finally {
      connection.setAutoCommit(true);
    }
    return statements;
  }

  private String randomChange() {
    int product = 1 + random.nextInt(nextProduct - 1);
    long order = 1 + (long) (random.nextDouble() * (nextOrder - 1));
    return switch (random.nextInt(10)) {
      case 0, 1, 2 ->
          "UPDATE products SET price = price + 1, stock = stock - 1 WHERE id = " + product;
      case 3 ->
          "INSERT INTO products VALUES ("
              + nextProduct++
              + ", 'new product', 9.99, 10,"
              + " '{\"weight_kg\": 0.5}')";
      case 4 -> "DELETE FROM products WHERE id = " + product;
      case 5, 6 ->
          "INSERT INTO orders (id, product_id, quantity, status) VALUES ("
              + nextOrder++
              + ", "
              + product
              + ", 1, 'new')";
      case 7, 8 ->
          "UPDATE orders SET status = 'shipped', quantity = quantity + 1 WHERE id = " + order;
      default -> "DELETE FROM orders WHERE id = " + order;
    };
  }

  /** Sets a product's attributes (raw JSON); a non-numeric weight is what the index rejects. */
  public void setAttributes(int product, String json) throws SQLException {
    execute(
        "INSERT INTO products VALUES ("
            + product
            + ", 'product "
            + product
            + "', 1.00, 1, '"
            + json.replace("'", "''")
            + "') ON CONFLICT (id) DO UPDATE SET attributes = EXCLUDED.attributes");
  }

  /** The {@code n} smallest ids of {@code table}, as text. */
  public java.util.List<String> firstIds(String table, int n) throws SQLException {
    java.util.List<String> ids = new java.util.ArrayList<>();
    try (Statement s = connection.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT id::text FROM " + table + " ORDER BY id LIMIT " + n)) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    }
    return ids;
  }

  /** Rows in {@code table}. */
  public long count(String table) throws SQLException {
    return Long.parseLong(queryString("SELECT count(*)::text FROM " + table));
  }

  public void execute(String... statements) throws SQLException {
    try (Statement s = connection.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  private String queryString(String sql) throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? String.valueOf(rs.getString(1)) : "";
    }
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
